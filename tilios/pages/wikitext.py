"""MediaWiki wikitext to Tilios Markdown, with a note of everything that could not be converted exactly.

Parsed by mwparserfromhell. Headings, bold/italic, lists, internal and external links, categories,
simple tables and references are converted. What Tilios cannot reproduce stays visible in the page,
never dropped in silence: a template keeps its wikitext (a block template becomes a list of its
parameters), a complex table has its cells laid out one after the other, a file becomes a mention of
its name. Each such case is counted in `Conversion.notes`, which the import reports.
"""
import re
from collections import Counter
from dataclasses import dataclass, field

import mwparserfromhell
from mwparserfromhell.nodes import Argument, Comment, ExternalLink, Heading, HTMLEntity, Tag, Template, Text, Wikilink

CATEGORY_NAMES = {"category", "catégorie", "categorie"}
FILE_NAMES = {"file", "fichier", "image", "media", "média"}
USER_NAMES = {"user", "utilisateur", "utilisatrice", "user talk", "discussion utilisateur"}
SCHEMES = ("http://", "https://", "mailto:")
MAGIC_WORD = re.compile(r"__[A-ZÉ]+__")
LIST_MARKUP = {"*", "#", ";", ":"}
KEEP_HTML = {"sup", "sub", "del", "s"}
CODE_TAGS = {"pre", "code", "source", "syntaxhighlight", "tt"}
TRANSPARENT = {"div", "span", "center", "small", "big", "font", "u", "p", "abbr", "blockquote", "cite", "ins",
               "includeonly", "onlyinclude", "poem", "mark"}


@dataclass
class Conversion:
    markdown: str
    notes: Counter = field(default_factory=Counter)  # {"modèle conservé tel quel : Infobox": 2, …}


class _Converter:
    def __init__(self, category_names=(), file_names=()):
        self.categories = CATEGORY_NAMES | {n.lower() for n in category_names if n}
        self.files = FILE_NAMES | {n.lower() for n in file_names if n}
        self.notes = Counter()
        self.refs = []
        self.inline_depth = 0  # inside a reference, a heading, a link or a table cell: no block output

    # --- whole document --------------------------------------------------------------------------
    def convert(self, wikitext):
        out = self.nodes(mwparserfromhell.parse(wikitext or "").nodes)
        if self.refs:
            out += "\n\n## Références\n\n" + "\n".join(f"{i}. {ref}" for i, ref in enumerate(self.refs, 1))
        return Conversion(_tidy(out), self.notes)

    def nodes(self, nodes):
        parts, markers, item_start = [], "", False
        for node in nodes:
            if isinstance(node, Tag) and node.wiki_markup in LIST_MARKUP and node.tag in ("li", "dt", "dd"):
                markers += str(node.wiki_markup)
                continue
            if markers:
                parts.append(self.list_prefix(markers, parts))
                markers, item_start = "", True
            text = self.node(node)
            parts.append(text.lstrip(" ") if item_start else text)
            item_start = False
        if markers:
            parts.append(self.list_prefix(markers, parts))
        return "".join(parts)

    def list_prefix(self, markers, parts):
        before = "".join(parts)[-500:]
        previous = _last_list_item(before)
        last = markers[-1]
        if last == ";":  # a definition term: its own paragraph
            return "\n\n"
        if set(markers) <= {":", ";"}:  # indentation (talk pages, definitions): a quote
            quoting = re.search(r"(?:^|\n)>[^\n]*\n$", before)
            return ("" if quoting else "\n") + "> " * markers.count(":")
        bullet = "1. " if last == "#" else "- "
        same_list = previous is not None and (len(markers) > 1 or previous == bullet.strip())
        return ("" if same_list or not before else "\n") + "    " * (len(markers) - 1) + bullet

    def node(self, node):
        if isinstance(node, Text):
            text = str(node)
            if MAGIC_WORD.search(text):
                self.notes["mot magique retiré (__TOC__…)"] += 1
                text = MAGIC_WORD.sub("", text)
            return text
        if isinstance(node, Comment):
            return ""
        if isinstance(node, HTMLEntity):
            return node.normalize()
        if isinstance(node, Heading):
            return "\n\n" + "#" * node.level + " " + self.inline(node.title) + "\n\n"
        if isinstance(node, Wikilink):
            return self.wikilink(node)
        if isinstance(node, ExternalLink):
            return self.external(node)
        if isinstance(node, Template):
            return self.template(node)
        if isinstance(node, Argument):
            self.notes["paramètre de modèle conservé tel quel"] += 1
            return _code(str(node))
        if isinstance(node, Tag):
            return self.tag(node)
        self.notes[f"élément non reconnu conservé tel quel ({type(node).__name__})"] += 1
        return _code(str(node))

    def inline(self, wikicode):
        self.inline_depth += 1
        try:
            return " ".join(self.nodes(wikicode.nodes).split())
        finally:
            self.inline_depth -= 1

    # --- links -----------------------------------------------------------------------------------
    def wikilink(self, node):
        target = str(node.title).strip()
        label = self.inline(node.text) if node.text is not None else ""
        colon = target.startswith(":")
        target = target.lstrip(":").strip()
        prefix, _, rest = target.partition(":")
        namespace = prefix.strip().lower() if rest else ""
        if namespace in self.categories:
            if colon:
                return f"[[Catégorie:{rest.strip()}|{label or rest.strip()}]]"
            return f"[[Catégorie:{rest.strip()}]]"
        if namespace in self.files:
            self.notes["fichier non importé (nom gardé)"] += 1
            caption = str(node.text or "").split("|")[-1].strip() if node.text is not None else ""
            caption = " ".join(self.nodes(mwparserfromhell.parse(caption).nodes).split())
            shown = f"*[Fichier : {rest.strip()}" + (f" — {caption}" if caption and "=" not in caption
                                                     and caption not in ("thumb", "vignette") else "") + "]*"
            return shown
        if namespace in USER_NAMES:
            return label or rest.strip()
        page, _, _anchor = target.partition("#")
        page = page.strip().replace("_", " ")
        if not page:  # a link to a section of this page
            return label or target.lstrip("#")
        label = label.replace("[", "(").replace("]", ")").replace("|", "/")
        return f"[[{page}|{label}]]" if label and label != page else f"[[{page}]]"

    def external(self, node):
        url = str(node.url).strip()
        title = self.inline(node.title) if node.title is not None else ""
        if not url.lower().startswith(SCHEMES):
            return str(node)
        if title:
            return f"[{title.replace('[', '(').replace(']', ')')}]({url})"
        return f"<{url}>"

    # --- templates -------------------------------------------------------------------------------
    def template(self, node):
        name = " ".join(str(node.name).split())
        self.notes[f"modèle conservé tel quel : {name}"] += 1
        if self.inline_depth or not any(param.showkey for param in node.params):
            return _code(str(node))
        lines = [f"\n\n> **{{{{{name}}}}}**", ">"]
        for param in node.params:
            value = " ".join(self.nodes(param.value.nodes).split())
            key = " ".join(str(param.name).split())
            lines.append(f"> - {key} : {value}" if param.showkey else f"> - {value}")
        return "\n".join(lines) + "\n\n"

    # --- tags ------------------------------------------------------------------------------------
    def tag(self, node):
        name = str(node.tag).lower()
        contents = node.contents if node.contents is not None else mwparserfromhell.parse("")
        if name in ("b", "strong"):
            return _wrap("**", self.nodes(contents.nodes))
        if name in ("i", "em"):
            return _wrap("*", self.nodes(contents.nodes))
        if name == "hr":
            return "\n\n---\n\n"
        if name == "br":
            return "  \n"
        if name == "table":
            return self.table(node)
        if name == "ref":
            text = self.inline(contents)
            if not text:
                return ""  # a reuse of a named reference, listed once already
            self.refs.append(text)
            return f"<sup>{len(self.refs)}</sup>"
        if name == "references":
            return ""  # the list is appended at the end
        if name == "nowiki":
            return _escape(str(contents))
        if name in CODE_TAGS:
            code = str(contents).strip("\n")
            return f"\n\n```\n{code}\n```\n\n" if "\n" in code or name != "code" else _code(code)
        if name in KEEP_HTML:
            return f"<{name}>{self.nodes(contents.nodes)}</{name}>"
        if name in TRANSPARENT:
            return self.nodes(contents.nodes)
        if name in ("gallery", "imagemap"):
            self.notes["galerie d'images non importée (noms gardés)"] += 1
            files = [line.split("|")[0].strip() for line in str(contents).splitlines() if line.strip()]
            return "\n\n" + "\n".join(f"- *[Fichier : {f.split(':', 1)[-1]}]*" for f in files) + "\n\n"
        if name in ("script", "style"):  # code, not text: shown as text it would only puzzle the reader
            self.notes[f"balise <{name}> retirée avec son contenu"] += 1
            return ""
        if name in ("li", "dt", "dd", "ul", "ol", "dl"):
            return self.nodes(contents.nodes) + ("\n" if name in ("ul", "ol", "dl") else "")
        self.notes[f"balise <{name}> retirée, texte gardé"] += 1
        return self.nodes(contents.nodes)

    def table(self, node):
        caption, rows, loose = "", [], []
        for child in node.contents.nodes:
            if isinstance(child, Tag) and child.tag == "tr":
                rows.append([c for c in child.contents.nodes if isinstance(c, Tag) and c.tag in ("td", "th")])
            elif isinstance(child, Tag) and child.tag in ("td", "th"):
                if str(child).startswith("|+"):
                    caption = self.inline(child.contents).lstrip("+ ")
                else:
                    loose.append(child)
            elif isinstance(child, Tag) and child.tag == "caption":
                caption = self.inline(child.contents)
        if loose:
            rows.insert(0, loose)
        rows = [row for row in rows if row]
        cells = [[self.nodes(cell.contents.nodes).strip() for cell in row] for row in rows]
        spans = any(cell.has("rowspan") or cell.has("colspan") for row in rows for cell in row)
        width = max((len(row) for row in cells), default=0)
        simple = (rows and not spans and all("\n" not in text for row in cells for text in row)
                  and all(len(row) == width for row in cells))
        head = f"\n\n**{caption}**\n" if caption else "\n\n"
        if simple:
            header = cells[0] if all(c.tag == "th" for c in rows[0]) else [""] * width
            body = cells[1:] if header is cells[0] else cells
            lines = ["| " + " | ".join(_cell(c) for c in header) + " |", "|" + " --- |" * width]
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
            return head + "\n" + "\n".join(lines) + "\n\n"
        self.notes["tableau complexe mis à plat (cellules l'une après l'autre)"] += 1
        blocks = [text for row in cells for text in row if text]
        return head + "\n\n".join(blocks) + "\n\n"


def _last_list_item(text):
    """The bullet (« - » or « 1. ») of the top-level list `text` ends in, « nested » in a sub-list only."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    nested = False
    for line in reversed(lines):
        match = re.match(r"(\s*)(-|\d+\.)\s", line)
        if match is None:
            return "nested" if nested else None
        if not match.group(1):
            return match.group(2)
        nested = True
    return "nested" if nested else None


def _wrap(mark, text):
    inner = text.strip()
    if not inner:
        return text
    lead, trail = text[:len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return f"{lead}{mark}{inner}{mark}{trail}"


def _code(text):
    text = " ".join(text.split())
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def _cell(text):
    return text.replace("|", "\\|") or " "


def _escape(text):
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", text)


def _tidy(text):
    text = re.sub(r"\n[ \t]+\n", "\n\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n" if text.strip() else ""


def convert(wikitext, category_names=(), file_names=()):
    """Markdown for `wikitext`, with the notes of what was kept as is or simplified."""
    return _Converter(category_names, file_names).convert(wikitext)
