"""The kernel's middleware steps, one job per module. The client orders them:

user and plugin steps → budget → cache → fallback → retry → trace → cost → the provider hook.

Only enabled steps are in the chain: no budget, no cache, no exporter means no step for them.
"""
