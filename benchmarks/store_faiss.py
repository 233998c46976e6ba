"""What the ``faiss://`` store costs over raw FAISS, side by side in one run, as ratios.

Random float32 vectors (``--n`` x ``--dim``, default 100,000 x 384), cosine, top_k 10; every
query is awaited alone on the event loop (the latency a RAG request sees).

* **Query overhead**: ``FaissStore.query`` against raw FAISS on the same index (the store's own
  FAISS index, searched directly from the benchmark's thread with the same ``ef_search``), flat
  and HNSW. Bar: 1.1x, like for like: both given the query as a float32 numpy vector. Also
  shown: the store given a list of Python floats, and the raw search awaited through
  ``run_in_executor``, the floor of any store that keeps blocking work off the event loop.
* **Metadata filter selecting 1%** (``{"bucket": 7}``): the store (ids from SQLite, then an exact
  search among them or a FAISS search with an ``IDSelectorBitmap``) against the naive post-filter
  on the same index (ask FAISS for 10x and 100x ``top_k``, keep the hits whose metadata pass):
  latency and recall of the top 10 against the exact filtered top 10. Also: the time SQLite takes
  to find the selected ids through the store's indexed field table, and with ``json_extract``.
* **Bulk upsert**, against raw ``add_with_ids`` into an ``IndexIDMap2`` over the same index kind
  (a copy of the float32 matrix, normalised, then added). Bar: 1.2x, like for like: the store
  given the same float32 matrix — ``upsert_vectors(ids, matrix, metadatas)``, string ids and a
  metadata field besides — with ``durability=save``, which like ``add_with_ids`` persists nothing
  until asked: its ``save()`` is timed apart, beside raw ``write_index`` plus an fsync. Also
  shown, per-call durable (committed to SQLite before the call returns, the default): the same
  matrix (flat only), and the ``Record`` objects of Python floats (whose building is timed apart:
  it is the caller's work). Flat rounds (``--bulk-rounds``) alternate which side goes first, since
  the first to touch fresh memory pays its page faults.

HNSW graphs take long to build on small machines (about 50 s for 100,000 x 384 on two cores, three
times: raw, deferred and per-call), so the HNSW half uses the first ``--hnsw-n`` vectors (default
20,000) and one bulk round. Both sides run FAISS with ``--threads`` OpenMP threads per search
(default 1; the store's ``threads=`` option) and all cores to build. Every latency is a median
over interleaved rounds, printed with the spread (fastest and slowest round); a ratio is the
median of the rounds' own ratios (both sides run back to back in each round, so a change of load
on a shared machine between rounds does not count as either side's cost), printed with its
spread. HNSW queries run ``--hnsw-rounds`` rounds (default 15: they are short).

Run it with ``python benchmarks/store_faiss.py [--n 100000] [--hnsw-n 20000] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from typing import Any

QUERY_BAR = 1.1
UPSERT_BAR = 1.2
TOP_K = 10
BUCKETS = 100  # {"bucket": 7} selects 1%


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="vectors in the flat index (default 100000)")
    parser.add_argument("--hnsw-n", type=int, default=20_000, help="vectors in the HNSW graph (default 20000)")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200, help="queries per contender and round")
    parser.add_argument("--rounds", type=int, default=5, help="query rounds on the flat index")
    parser.add_argument("--hnsw-rounds", type=int, default=15, help="query rounds on the HNSW graph")
    parser.add_argument("--bulk-rounds", type=int, default=5, help="flat bulk-upsert rounds (HNSW: one)")
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads for FAISS on both sides")
    parser.add_argument("--m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=40)
    parser.add_argument("--ef-search", type=int, default=64)
    return parser.parse_args()


# --------------------------------------------------------------------------- measuring


async def _aseconds(work: Callable[[], Awaitable[Any]]) -> float:
    gc.collect()
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


async def _latencies(contenders: dict[str, Callable[[int], Any]], queries: int, rounds: int) -> dict[str, list[float]]:
    """Per round, the mean microseconds per query, contenders interleaved per round. A contender
    returns an awaitable or a plain value (raw FAISS is synchronous)."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for call in contenders.values():  # warm up
        for index in range(min(20, queries)):
            result = call(index)
            if inspect.isawaitable(result):
                await result
    for _ in range(rounds):
        for name, call in contenders.items():
            gc.collect()
            start = time.perf_counter()
            for index in range(queries):
                result = call(index)
                if inspect.isawaitable(result):
                    await result
            samples[name].append((time.perf_counter() - start) / queries * 1e6)
    return samples


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _paired(ours: list[float], raw: list[float]) -> tuple[float, str]:
    """The median over rounds of ours / raw within each round, and its spread: on a shared
    machine the load changes between rounds, and each round runs both sides back to back."""
    ratios = sorted(mine / theirs for mine, theirs in zip(ours, raw, strict=True))
    spread = f" (rounds {ratios[0]:.2f}-{ratios[-1]:.2f})" if len(ratios) > 1 else ""
    return statistics.median(ratios), spread


def _spread(samples: list[float], scale: float = 1.0, digits: int = 0) -> str:
    """The fastest and slowest of several rounds, for reading a median on a shared machine."""
    if len(samples) < 2:
        return ""
    return f" ({min(samples) * scale:.{digits}f}-{max(samples) * scale:.{digits}f} over {len(samples)})"


def _recall(got: list[list[int]], want: list[list[int]]) -> float:
    hits = sum(len(set(g) & set(w)) for g, w in zip(got, want, strict=True))
    return hits / max(1, sum(len(w) for w in want))


# --------------------------------------------------------------------------- one index kind


async def _kind(
    kind: str, vectors: Any, records: list[Any], queries: Any, args: argparse.Namespace, root: str
) -> dict[str, Any]:
    import faiss
    import numpy as np

    from lluminary_faiss import FaissStore

    n = len(records)
    matrix = vectors[:n]
    unit = matrix.copy()
    faiss.normalize_L2(unit)
    ids = np.arange(n, dtype=np.int64)
    buckets = ids % BUCKETS
    names = [record.id for record in records]
    metadatas = [dict(record.metadata) for record in records]

    # ---- bulk upsert: raw add_with_ids against ours like for like (the same float32 matrix,
    # nothing persisted until asked), in alternating order; then ours per-call durable
    def raw_index() -> Any:
        if kind == "flat":
            inner = faiss.IndexFlatIP(args.dim)
        else:
            inner = faiss.IndexHNSWFlat(args.dim, args.m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = args.ef_construction
            inner.hnsw.efSearch = args.ef_search
        return faiss.IndexIDMap2(inner)

    options = f"index={kind}&metric=cosine&threads={args.threads}"
    if kind == "hnsw":
        options += f"&m={args.m}&ef_construction={args.ef_construction}&ef_search={args.ef_search}"
    raw_file = os.path.join(root, f"raw-{kind}.faiss")
    bulk: dict[str, list[float]] = {"raw": [], "raw_write": [], "deferred": [], "save": []}

    def raw_add() -> None:
        raw = raw_index()
        gc.collect()
        start = time.perf_counter()
        normalised = matrix.copy()
        faiss.normalize_L2(normalised)
        raw.add_with_ids(normalised, ids)
        bulk["raw"].append(time.perf_counter() - start)
        written = time.perf_counter()
        faiss.write_index(raw, raw_file)
        descriptor = os.open(raw_file, os.O_RDONLY)
        os.fsync(descriptor)
        os.close(descriptor)
        bulk["raw_write"].append(time.perf_counter() - written)

    async def ours_deferred(number: int) -> None:
        directory = f"{root}/{kind}-deferred-{number}"
        store = FaissStore.from_url(f"faiss://{directory}?{options}&durability=save")
        await store.count()  # open the directory outside the timings
        bulk["deferred"].append(await _aseconds(lambda: store.upsert_vectors(names, matrix, metadatas)))
        bulk["save"].append(await _aseconds(store.save))
        await store.close()
        shutil.rmtree(directory, ignore_errors=True)

    for number in range(args.bulk_rounds if kind == "flat" else 1):
        for side in ("raw", "ours") if number % 2 == 0 else ("ours", "raw"):
            if side == "ours":
                await ours_deferred(number)
            else:
                raw_add()
    os.remove(raw_file)
    if kind == "flat":  # per-call durable, the same matrix
        directory = f"{root}/{kind}-columns"
        store = FaissStore.from_url(f"faiss://{directory}?{options}")
        await store.count()
        bulk["durable_columns"] = [await _aseconds(lambda: store.upsert_vectors(names, matrix, metadatas))]
        await store.close()
        shutil.rmtree(directory, ignore_errors=True)
    store = FaissStore.from_url(f"faiss://{root}/{kind}?{options}")
    await store.count()
    bulk["durable_records"] = [await _aseconds(lambda: store.upsert(records))]
    bulk["durable_save"] = [await _aseconds(store.save)]

    # The raw side of every search is the store's own FAISS index, searched directly from this
    # thread: the same index, so only what the store adds is measured (two copies of the same
    # 150 MB of vectors can differ by a third in speed, from where their memory happens to lie).
    # Its positions are the records' numbers: they were added in order to an empty store.
    raw = store._engine._spaces[""].index._raw  # private on purpose: a benchmark reaching in
    if kind == "hnsw":
        raw.hnsw.efSearch = args.ef_search  # the store passes its breadth per search instead

    # ---- unfiltered queries
    query_lists = [row.tolist() for row in queries]
    q = len(queries)
    faiss.omp_set_num_threads(args.threads)

    def raw_query(index: int) -> Any:
        return raw.search(queries[index % q : index % q + 1], TOP_K)

    def ours_query(index: int) -> Any:
        return store.query(queries[index % q], top_k=TOP_K)

    def ours_query_list(index: int) -> Any:
        return store.query(query_lists[index % q], top_k=TOP_K)

    pool = ThreadPoolExecutor(1, initializer=faiss.omp_set_num_threads, initargs=(args.threads,))
    loop = asyncio.get_running_loop()

    def raw_in_thread(index: int) -> Any:
        return loop.run_in_executor(pool, raw.search, queries[index % q : index % q + 1], TOP_K)

    plain = await _latencies(
        {"raw": raw_query, "raw_thread": raw_in_thread, "ours": ours_query, "ours_list": ours_query_list},
        args.queries,
        args.rounds if kind == "flat" else args.hnsw_rounds,
    )
    pool.shutdown()
    exact_unfiltered = [
        list(np.argsort(-(unit @ (row / np.linalg.norm(row))), kind="stable")[:TOP_K]) for row in queries
    ]
    ours_hits = [[int(m.id) for m in await store.query(row, top_k=TOP_K)] for row in query_lists]
    raw_hits = [list(raw.search(queries[i : i + 1], TOP_K)[1][0]) for i in range(q)]

    # ---- 1% filter: ours vs naive post-filter at 10x and 100x
    condition = {"bucket": 7}
    selected = np.flatnonzero(buckets == 7)
    exact_filtered = []
    for row in queries:
        scores = unit[selected] @ (row / np.linalg.norm(row))
        exact_filtered.append([int(selected[i]) for i in np.argsort(-scores, kind="stable")[:TOP_K]])

    def naive(factor: int) -> Callable[[int], list[int]]:
        def run(index: int) -> list[int]:
            _, labels = raw.search(queries[index % q : index % q + 1], TOP_K * factor)
            return [int(label) for label in labels[0] if label >= 0 and buckets[label] == 7][:TOP_K]

        return run

    def ours_filtered(index: int) -> Any:
        return store.query(query_lists[index % q], top_k=TOP_K, filter=condition)

    filtered = await _latencies(
        {"ours": ours_filtered, "naive10": naive(10), "naive100": naive(100)}, args.queries, args.rounds
    )
    ours_filtered_hits = [
        [int(m.id) for m in await store.query(row, top_k=TOP_K, filter=condition)] for row in query_lists
    ]
    await store.close()
    return {
        "sql": _filter_sql(os.path.join(root, kind, "store.sqlite")),
        "n": n,
        "upsert": bulk,
        "query": plain,
        "recall": {"raw": _recall(raw_hits, exact_unfiltered), "ours": _recall(ours_hits, exact_unfiltered)},
        "filtered": filtered,
        "filtered_recall": {
            "ours": _recall(ours_filtered_hits, exact_filtered),
            "naive10": _recall([naive(10)(i) for i in range(q)], exact_filtered),
            "naive100": _recall([naive(100)(i) for i in range(q)], exact_filtered),
        },
    }


def _filter_sql(path: str) -> dict[str, float]:
    """Milliseconds to find the ids of a 1% filter: the store's indexed side table of metadata
    fields, against ``json_extract`` over the stored JSON (no side table, a scan)."""
    import sqlite3

    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    statements = {  # both bring the ids back as the store does: one JSON array
        "fields": "SELECT json_group_array(faiss_id) FROM fields "
        "WHERE namespace = 1 AND key = 'bucket' AND kind = 2 AND value = 7",
        "json": "SELECT json_group_array(faiss_id) FROM records "
        "WHERE namespace = 1 AND json_extract(metadata, '$.bucket') = 7",
    }
    timings = {}
    for name, sql in statements.items():
        connection.execute(sql).fetchall()
        start = time.perf_counter()
        for _ in range(5):
            rows = connection.execute(sql).fetchall()
        timings[name] = (time.perf_counter() - start) / 5 * 1e3
        assert len(rows) > 0
    connection.close()
    return timings


# --------------------------------------------------------------------------- report


def _report(kind: str, result: dict[str, Any], build_records_s: float | None) -> list[bool]:
    upsert, query, filtered, recall = result["upsert"], result["query"], result["filtered"], result["filtered_recall"]
    raw_s, deferred_s = _median(upsert["raw"]), _median(upsert["deferred"])
    raw_durable_s = raw_s + _median(upsert["raw_write"])
    upsert_ratio, upsert_spread = _paired(upsert["deferred"], upsert["raw"])
    raw_us, ours_us = _median(query["raw"]), _median(query["ours"])
    query_ratio, query_spread = _paired(query["ours"], query["raw"])
    list_ratio, list_spread = _paired(query["ours_list"], query["raw"])
    print(f"\n{kind} index, {result['n']:,} vectors")
    print(f"  bulk upsert        raw add_with_ids {raw_s * 1e3:9.0f} ms{_spread(upsert['raw'], 1e3)}")
    print(
        f"                     ours upsert_vectors, durability=save {deferred_s * 1e3:9.0f} ms"
        f"{_spread(upsert['deferred'], 1e3)}   ratio {upsert_ratio:5.2f}x{upsert_spread} "
        f"(bar {UPSERT_BAR}x: {'ok' if upsert_ratio <= UPSERT_BAR else 'FAIL'})"
    )
    save_s = _median(upsert["save"])
    print(
        f"                     then ours save() {save_s * 1e3:9.0f} ms{_spread(upsert['save'], 1e3)}; raw write_index + "
        f"fsync {_median(upsert['raw_write']) * 1e3:.0f} ms; both together: ours "
        f"{(deferred_s + save_s) * 1e3:.0f} ms vs raw {raw_durable_s * 1e3:.0f} ms "
        f"({(deferred_s + save_s) / raw_durable_s:.1f}x)"
    )
    durable = [("upsert(Records)", upsert["durable_records"][0])]
    if "durable_columns" in upsert:
        durable.insert(0, ("upsert_vectors", upsert["durable_columns"][0]))
    print(
        "                     ours per-call durable (the default): "
        + "; ".join(f"{name} {seconds * 1e3:.0f} ms ({seconds / raw_s:.1f}x)" for name, seconds in durable)
        + f"; save() afterwards {upsert['durable_save'][0] * 1e3:.0f} ms"
    )
    if build_records_s is not None:
        print(f"                     (building the Record objects, the caller's work: {build_records_s * 1e3:.0f} ms)")
    print(
        f"  query top {TOP_K}       raw {raw_us:8.1f} us{_spread(query['raw'])}   ours (float32 vector) "
        f"{ours_us:8.1f} us{_spread(query['ours'])}   ratio {query_ratio:5.2f}x{query_spread} "
        f"(bar {QUERY_BAR}x: {'ok' if query_ratio <= QUERY_BAR else 'FAIL'})\n"
        f"                     ours given a list of floats {_median(query['ours_list']):8.1f} us"
        f"{_spread(query['ours_list'])}   ratio {list_ratio:5.2f}x{list_spread}   "
        f"recall raw {result['recall']['raw']:.3f} ours {result['recall']['ours']:.3f}\n"
        f"                     raw awaited in a thread (run_in_executor: the floor of any store that keeps "
        f"the loop free) {_median(query['raw_thread']):8.1f} us"
    )
    print(
        f"  1% filter          ours (pre-filter) {_median(filtered['ours']):8.1f} us  recall {recall['ours']:.3f}\n"
        f"                     naive 10x post-filter {_median(filtered['naive10']):8.1f} us  "
        f"recall {recall['naive10']:.3f}\n"
        f"                     naive 100x post-filter {_median(filtered['naive100']):8.1f} us  "
        f"recall {recall['naive100']:.3f}"
    )
    sql = result["sql"]
    print(
        f"                     (finding the ids: indexed field table {sql['fields']:.1f} ms, "
        f"json_extract scan {sql['json']:.1f} ms)"
    )
    return [query_ratio <= QUERY_BAR, upsert_ratio <= UPSERT_BAR]


async def main() -> int:
    args = _args()
    import numpy as np

    from lluminary.sdk import Record

    print(
        f"lluminary-faiss {version('lluminary-faiss')}, faiss-cpu {version('faiss-cpu')}, numpy {np.__version__}, "
        f"Python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} CPUs); "
        f"{args.dim} dimensions, OpenMP threads {args.threads}"
    )
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.n, args.dim), dtype=np.float32)
    queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
    start = time.perf_counter()
    records = [Record(str(i), row.tolist(), {"bucket": i % BUCKETS}) for i, row in enumerate(vectors)]
    build_records_s = time.perf_counter() - start
    # The harness's own data (a million tuples of Python floats) must not make the garbage
    # collector's full passes, which any allocation may trigger, part of the store's timings.
    gc.collect()
    gc.freeze()
    root = tempfile.mkdtemp(prefix="lluminary-faiss-bench-")
    verdicts: list[bool] = []
    try:
        flat = await _kind("flat", vectors, records, queries, args, root)
        verdicts += _report("flat", flat, build_records_s)
        hnsw_n = min(args.hnsw_n, args.n)
        hnsw = await _kind("hnsw", vectors, records[:hnsw_n], queries, args, root)
        verdicts += _report(
            f"HNSW (m={args.m}, ef_construction={args.ef_construction}, ef_search={args.ef_search})", hnsw, None
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    started = time.perf_counter()
    code = asyncio.run(main())
    print(f"\n(run took {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    sys.exit(0)
