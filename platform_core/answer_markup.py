"""The small markdown subset bot answers may carry: links, bold, lists, paragraphs.

Staff write answers in the knowledge base; customers see them rendered, so whatever an
answer holds must stay inert. markdown-it-py's "zero" preset with just those rules
enabled and raw HTML off escapes every other character; links are kept only to
http(s) addresses (no javascript:, data: or protocol-relative ones) and open in a new
tab without handing over the page. A relative link ("/account/orders") points into
the shop at SHOP_BASE_URL; without that setting it stays plain text (the widget runs
inside other sites, where a bare path would point elsewhere). Messengers get plain
text with the address beside the link's words.
"""

from functools import cache, lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from markdown_it import MarkdownIt
from markdown_it.token import Token

_RULES = ["link", "emphasis", "list", "paragraph", "newline", "escape", "backticks"]


def _link_allowed(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def shop_base_url() -> str:
    """SHOP_BASE_URL without its trailing slash, or "" when unset or not an http(s)
    address (then relative links stay text, as without it)."""
    base = (getattr(settings, "SHOP_BASE_URL", "") or "").strip().rstrip("/")
    return base if _link_allowed(base) else ""


def _is_relative_path(url: str) -> bool:
    # "/account/orders", not "//host/…" (protocol-relative: another site).
    return url.startswith("/") and not url.startswith("//") and not url.startswith("/\\")


@cache
def _parser(base_url: str = "") -> MarkdownIt:
    parser = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True})
    parser.enable(_RULES)
    if base_url:
        normalize = parser.normalizeLink

        def normalize_into_shop(url: str) -> str:
            # Normalised first (percent-encoding), then joined: the address is still
            # checked by validateLink like every other, so only http(s) ones survive.
            url = url.strip()
            return base_url + normalize(url) if _is_relative_path(url) else normalize(url)

        parser.normalizeLink = normalize_into_shop
    parser.validateLink = _link_allowed

    def link_open(renderer, tokens, index, options, env) -> str:
        tokens[index].attrSet("target", "_blank")
        tokens[index].attrSet("rel", "noopener noreferrer nofollow")
        return renderer.renderToken(tokens, index, options, env)

    parser.add_render_rule("link_open", link_open)
    return parser


def answer_html(text: str) -> str:
    """The answer as safe HTML: the subset rendered, everything else escaped."""
    return _answer_html_rendered(text, shop_base_url())


# Bot answers are the knowledge base's few texts, sent again and again: each rendered
# once per shop address, not for every answer the chat sends (issue 22).
@lru_cache(maxsize=1024)
def _answer_html_rendered(text: str, base_url: str) -> str:
    return _parser(base_url).render(text).strip()


def answer_plain(text: str) -> str:
    """The answer as plain text for messengers: "words (https://…)" for a link, bold
    without its stars, list items on lines of their own with "-" or their number."""
    lines: list[str] = []
    numbers: list[int | None] = []
    prefix = ""
    for token in _parser(shop_base_url()).parse(text):
        if token.type == "bullet_list_open":
            numbers.append(None)
        elif token.type == "ordered_list_open":
            numbers.append(int(token.attrGet("start") or 1))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
        elif token.type == "list_item_open":
            if numbers and numbers[-1] is not None:
                prefix = f"{numbers[-1]}. "
                numbers[-1] += 1
            else:
                prefix = "- "
        elif token.type == "inline":
            lines.append(prefix + _inline_plain(token.children or []))
            prefix = ""
    return "\n".join(line.rstrip() for line in lines).strip()


def _inline_plain(children: list[Token]) -> str:
    out: list[str] = []
    href = ""
    words_start = 0
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "link_open":
            href, words_start = str(child.attrGet("href") or ""), len(out)
        elif child.type == "link_close":
            words = "".join(out[words_start:])
            if href and words.strip() != href:
                out.append(f" ({href})")
            href = ""
    return "".join(out)
