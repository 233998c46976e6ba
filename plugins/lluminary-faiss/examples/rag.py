"""Answer questions about your own files, with citations: retrieval-augmented generation on a
FAISS index and offline embeddings.

    python plugins/lluminary-faiss/examples/rag.py FILE_OR_DIR... --ask "question" [--model openai:gpt-4o-mini]

Every ``.txt`` and ``.md`` file given (or found under a directory) is split into passages with
``lluminary.split_text``, embedded offline with ``local:e5-small`` and kept in a FAISS index under
``--index`` (default ``./rag-index``), so a second run asks without re-indexing (``--reindex``
starts over). The answer comes from ``--model`` (a key in the environment, e.g. OPENAI_API_KEY),
which is told to cite the passages by number; each cited passage is printed with its file.
Needs: ``pip install lluminary-faiss lluminary-local`` and the chat model's plugin.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

import lluminary


def passages(paths: list[Path]) -> tuple[list[str], list[dict[str, object]], list[str]]:
    """Every passage of every text file, with its file and position, and a stable id."""
    texts: list[str] = []
    metadatas: list[dict[str, object]] = []
    ids: list[str] = []
    files = [p for path in paths for p in ([path] if path.is_file() else sorted(path.rglob("*")))]
    for file in files:
        if file.suffix.lower() not in (".txt", ".md") or not file.is_file():
            continue
        for number, chunk in enumerate(lluminary.split_text(file.read_text(encoding="utf-8"), max_chars=800)):
            texts.append(chunk)
            metadatas.append({"file": str(file), "passage": number})
            ids.append(hashlib.sha256(f"{file}:{number}:{chunk}".encode()).hexdigest()[:32])
    return texts, metadatas, ids


def main() -> int:
    parser = argparse.ArgumentParser(description="Answer a question from your files, with citations.")
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--ask", required=True, help="the question")
    parser.add_argument("--model", default="openai:gpt-4o-mini", help="the chat model that answers")
    parser.add_argument("--index", type=Path, default=Path("rag-index"), help="where the FAISS index lives")
    parser.add_argument("--reindex", action="store_true", help="index the files again from scratch")
    parser.add_argument("-k", type=int, default=4, help="passages to retrieve")
    args = parser.parse_args()
    if args.reindex and args.index.exists():
        shutil.rmtree(args.index)
    with lluminary.Client() as client:
        store = client.open_store(f"faiss://{args.index.resolve()}?index=flat", embed="local:e5-small")
        if store.count() == 0:
            texts, metadatas, ids = passages(args.paths)
            if not texts:
                print("no .txt or .md file to index", file=sys.stderr)
                return 1
            store.add_texts(texts, metadatas, ids=ids)
            print(f"indexed {len(texts)} passages into {args.index}")
        reply = store.answer(args.model, args.ask, k=args.k, temperature=0)
        print(reply.text)
        for citation in reply.citations:
            for source in citation.sources:
                metadata = source["metadata"]
                print(f"  [{metadata['file']} #{metadata['passage']}] {str(source['text'])[:100]}...")
        cost = f"${reply.cost.total:.6f}" if reply.cost else "unknown (no catalogue price)"
        print(f"cost: {cost} (the embeddings are local and free)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
