"""The kernel's middleware steps, one job per module. The client orders them:

user and plugin steps → deadline → budget → cache → fallback → retry → trace → cost → the provider hook.

Only enabled steps are in the chain: no budget, no cache, no exporter means no step for them;
the fallback step is in a second chain that only calls with fallbacks take.
"""
