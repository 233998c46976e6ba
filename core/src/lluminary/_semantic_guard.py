"""The semantic cache's guard: two questions can embed close together and still ask opposite
things ("is it safe" / "is it unsafe", "2 tablets" / "20 tablets"). A hit is refused when the
questions differ in a negation, a negating prefix or a number."""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["meaning_differs"]

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?")
_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nothing",
        "nobody",
        "nowhere",
        "neither",
        "nor",
        "without",
        "cannot",
        "cant",
        "ain't",
        "aint",
    ]
)
#: Prefixes that turn a word into its opposite: safe/unsafe, legal/illegal, able/unable, ...
_NEGATING_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non", "non-")
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALE_WORDS = frozenset({"hundred", "thousand", "million", "billion", "trillion", "half", "double", "twice"})


def meaning_differs(question: str, cached_question: str) -> bool:
    """True when the two questions differ in a negation word, a word and its negated form, or a
    number (digits or words): then a cached answer to one must not answer the other."""
    left, right = _words(question), _words(cached_question)
    if _negations(left) != _negations(right) or _numbers(left) != _numbers(right):
        return True
    return _opposites(set(left), set(right))


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _negations(words: list[str]) -> Counter[str]:
    return Counter(word for word in words if word in _NEGATIONS or word.endswith("n't"))


def _numbers(words: list[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    for word in words:
        if word[0].isdigit():
            text = word.replace(",", "")
            try:
                found[repr(float(text))] += 1
            except ValueError:
                found[text] += 1
        elif word in _NUMBER_WORDS:
            found[repr(float(_NUMBER_WORDS[word]))] += 1
        elif word in _SCALE_WORDS:
            found[word] += 1
    return found


def _opposites(left: set[str], right: set[str]) -> bool:
    for word in left ^ right:
        other = right if word in left else left
        for prefix in _NEGATING_PREFIXES:
            if prefix + word in other:
                return True
            if word.startswith(prefix) and len(word) > len(prefix) + 2 and word[len(prefix) :] in other:
                return True
    return False
