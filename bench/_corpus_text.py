"""Text of the benchmark corpus: support articles (Markdown with front matter) and forum
topics, drawn from bench/_vocab.py with a caller-owned random generator (deterministic)."""

import random
from dataclasses import dataclass, field

import yaml

from bench import _vocab as vocab

LEAVES = sorted(vocab.ZH_TERMS)
RARE_SHARE = 0.004  # documents that get one planted rare word
# The safe dumper, with libyaml's emitter when PyYAML has it: the same text, ~6x faster.
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass
class TopicText:
    """A forum topic before it is posted."""

    title: str
    body: str
    leaf: str
    kind: str
    tags: list[str]
    replies: list[str] = field(default_factory=list)


class Writer:
    """Fills templates for one document: one language, one leaf category."""

    def __init__(self, rng: random.Random, leaf: str, language: str):
        self.rng, self.leaf, self.language = rng, leaf, language
        self.english = language == "en"
        self.terms = (vocab.EN_TERMS if self.english else vocab.ZH_TERMS)[leaf]

    def fill(self, template: str) -> str:
        """A template with a product, thing, problem and action of this leaf (sometimes of
        a neighbour: real articles cross-reference)."""
        terms = self.terms
        if self.rng.random() < 0.15:
            terms = (vocab.EN_TERMS if self.english else vocab.ZH_TERMS)[self.rng.choice(LEAVES)]
        things, problems, actions = terms
        thing = self.rng.choice(things)
        product = vocab.product_for(self.leaf, self.english)
        text = template.format(
            p=product,
            t=thing,
            x=self.rng.choice(problems),
            a=self.rng.choice(actions),
            T=thing.capitalize(),
            P=product.removeprefix("the ").capitalize(),
        )
        return vocab.traditional(text) if self.language == "zh-TW" else text

    def pick(self, templates: list[str]) -> str:
        return self.fill(self.rng.choice(templates))

    def sentences(self, count: int) -> str:
        pool = vocab.EN_SENTENCES if self.english else vocab.ZH_SENTENCES
        joiner = " " if self.english else ""
        return joiner.join(self.pick(pool) for _ in range(count))

    def heading(self, index: int) -> str:
        if index == 0:  # a fresh order per document, so headings rarely repeat
            pool = vocab.EN_HEADINGS if self.english else vocab.ZH_HEADINGS
            self._headings = self.rng.sample(pool, k=len(pool))
        text = self._headings[index % len(self._headings)]
        return vocab.traditional(text) if self.language == "zh-TW" else text

    def tags(self) -> list[str]:
        things = self.terms[0]
        chosen = self.rng.sample(things, k=min(len(things), self.rng.randint(1, 3)))
        return [vocab.traditional(t) if self.language == "zh-TW" else t for t in chosen]

    def rare_sentence(self) -> str:
        word = self.rng.choice(vocab.RARE_WORDS)
        return (
            f"Some users also asked about {word}."
            if self.english
            else f"另外，关于{word}的问题也可以参考本文。"
        )


def pick_language(rng: random.Random) -> str:
    """en for ~15 %; of the Chinese rest, a tenth in traditional script."""
    if rng.random() < vocab.ENGLISH_SHARE:
        return "en"
    return "zh-TW" if rng.random() < vocab.TRADITIONAL_SHARE else "zh-CN"


def article_body(writer: Writer, target_chars: int) -> str:
    """Sections of paragraphs and numbered steps until about ``target_chars`` long."""
    rng = writer.rng
    parts = [writer.pick(vocab.EN_SENTENCES if writer.english else vocab.ZH_OPENERS)]
    if rng.random() < RARE_SHARE:
        parts.append(writer.rare_sentence())
    length = sum(map(len, parts))
    index = 0
    while length < target_chars:
        section = [f"## {writer.heading(index)}", ""]
        index += 1
        if rng.random() < 0.4:
            section += [f"{n}. {writer.sentences(1)}" for n in range(1, rng.randint(3, 6))]
        else:
            section.append(writer.sentences(rng.randint(2, 5)))
        block = "\n".join(section)
        parts.append(block)
        length += len(block)
    return "\n\n".join(parts) + "\n"


def article_markdown(number: int, rng: random.Random) -> tuple[str, str]:
    """(slug, file text) of article ``number``: 200-3000 characters, most near 800."""
    leaf = rng.choice(LEAVES)
    language = pick_language(rng)
    writer = Writer(rng, leaf, language)
    title = writer.pick(vocab.EN_TITLES if writer.english else vocab.ZH_TITLES)
    body = article_body(writer, int(rng.triangular(200, 3000, 800)))
    slug = f"bench-{leaf}-{number:06d}"
    meta = {
        "slug": slug,
        "title": f"{title} ({number})",
        "category": leaf,
        "tags": writer.tags(),
        "language": language,
        "summary": writer.sentences(1),
    }
    front = yaml.dump(meta, Dumper=_YAML_DUMPER, allow_unicode=True, sort_keys=False, width=1000)
    return slug, f"---\n{front}---\n\n{body}"


def forum_topic(number: int, rng: random.Random) -> TopicText:
    """A question or discussion with 0-6 replies; the opening post is 1-6 sentences."""
    leaf = rng.choice(LEAVES)
    writer = Writer(rng, leaf, pick_language(rng))
    titles = vocab.EN_TITLES if writer.english else vocab.FORUM_TITLES
    body = writer.sentences(rng.randint(1, 6))
    if rng.random() < RARE_SHARE:
        body += writer.rare_sentence()
    replies = [
        writer.pick(vocab.EN_SENTENCES if writer.english else vocab.FORUM_REPLIES)
        + writer.sentences(rng.randint(0, 2))
        for _ in range(rng.randint(0, 6))
    ]
    return TopicText(
        title=f"{writer.pick(titles)} #{number}",
        body=body,
        leaf=leaf,
        kind="question" if rng.random() < 0.8 else "discussion",
        tags=writer.tags(),
        replies=replies,
    )
