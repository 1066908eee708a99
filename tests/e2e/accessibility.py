"""Accessibility checks in a real Chromium with axe-core (static/vendor/axe-core, used by tests only).

``assert_accessible(page, "what this is")`` injects axe into the page as it is now, runs
the WCAG 2.0 and 2.1 A and AA rules on the whole document, and fails with one line per
violation (rule, impact, what it asks for) and the selectors of the nodes at fault.
"""

from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return {
        passes: results.passes.length,
        violations: results.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
        })),
    };
}"""


def run_axe(page) -> dict:
    """axe-core's result for the page as it is now: {"passes": n, "violations": [...]}."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_RUN, WCAG_TAGS)


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def assert_accessible(page, label: str) -> None:
    """Fail unless axe finds no WCAG 2.1 A/AA violation on the page (and ran some checks at all)."""
    result = run_axe(page)
    violations = result["violations"]
    assert not violations, f"{label} ({page.url}): {len(violations)} axe violation(s)\n{describe(violations)}"
    assert result["passes"] > 0, f"{label} ({page.url}): axe ran no rule at all"


# The element that has focus now (numbered on first visit, so the loop is seen) and whether
# it shows it; null when focus is back on the body (the Tab order wrapped around).
_FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const ids = (window.__focusIds = window.__focusIds || new WeakMap());
    if (!ids.has(el)) ids.set(el, (window.__focusCount = (window.__focusCount || 0) + 1));
    const style = getComputedStyle(el);
    // "auto" is the browser's own focus ring; otherwise an outline of 2 px or more.
    const outline = style.outlineStyle === "auto"
        || (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2);
    const shadow = style.boxShadow !== "none";
    const text = (el.getAttribute("aria-label") || el.textContent || el.value || "").trim().slice(0, 40);
    const label = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${text}"`;
    return {key: ids.get(el), label: label, visible: outline || shadow};
}"""


def focus_without_indicator(page, *, limit: int = 200) -> list[str]:
    """Tab through the whole page from the top as a keyboard user would, and name every
    element that gets focus without a visible indicator (neither the browser's own focus
    ring, nor an outline of 2 px or more, nor a box-shadow). Stops when focus leaves the
    page or comes back to an element it reached before."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    seen, missing, previous = set(), [], None
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is not None and focused["key"] == previous:
            continue  # Tab moves through the <video>'s own controls, which the browser draws focused
        if focused is None or focused["key"] in seen:
            break
        previous = focused["key"]
        seen.add(focused["key"])
        if not focused["visible"]:
            missing.append(focused["label"])
    else:
        raise AssertionError(f"{page.url}: still tabbing after {limit} stops")
    assert len(seen) > 3, f"{page.url}: Tab reached only {len(seen)} elements"
    return missing
