"""The mood and progress picture: a person's mood entries over time and the steps they took on.

A chart is plain, JSON-able data, sent by the actions as
``dispatcher.utter_message(text=<one line>, json_message={"runner_up_chart": chart})``::

    {"title": str, "alt": str,
     "moods": [{"at": ISO-8601 str, "emotion": str, "score": float}, ...],   oldest first
     "steps": [{"title": str, "status": "done" | "accepted", "at": ISO str or None}, ...]}

``alt`` says everything the picture shows, in one line, so the text stands alone (REST, screen
readers, a client that cannot draw it). The channels draw it: ``render_svg`` for the web chat
(a self-contained SVG, shown as an ``<img>``, which runs no script) and ``render_png`` for Slack
(matplotlib, Agg backend). Both draw the same layout (``_layout``), so they look alike.

Each emotion's height on the chart comes from ``data/mood_scores.yml`` (reviewed as data, with
the reasons). Times are shown in the person's own time zone when we know it, else UTC.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple
from xml.sax.saxutils import escape, quoteattr

import yaml

from runner_up.checkins.timing import zone
from runner_up.nlu.labels import EMOTIONS
from runner_up.settings import ROOT

CHART_KEY = "runner_up_chart"
SCORES_FILE = ROOT / "data" / "mood_scores.yml"
TITLE = "Your mood and steps"
# The latest entries drawn (a line of more would be unreadable at chat size); the text says so.
MAX_MOODS = 30
# Step rows drawn under the line; the others are counted ("and 3 more") and named in the alt text.
MAX_STEPS = 8
STATUS_WORDS = {"done": "done", "accepted": "in progress"}
# A change of the average score between the older and the newer half larger than this is a trend.
TREND = 0.2


class ChartError(ValueError):
    """Data that is not a chart; the message says which field and why."""


# --- the chart's data ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def mood_scores() -> Dict[Text, float]:
    """``{emotion: score}`` from data/mood_scores.yml: every label, each between -1 and 1."""
    scores = yaml.safe_load(SCORES_FILE.read_text())
    if not isinstance(scores, dict):
        raise ChartError(f"{SCORES_FILE} must map each emotion to a score")
    missing = [e for e in EMOTIONS if e not in scores]
    unknown = [e for e in scores if e not in EMOTIONS]
    bad = [e for e, s in scores.items() if isinstance(s, bool) or not isinstance(s, (int, float))
           or not -1.0 <= s <= 1.0]
    if missing or unknown or bad:
        raise ChartError(f"{SCORES_FILE}: missing {missing}, unknown {unknown}, "
                         f"not a number from -1 to 1: {bad}")
    return {e: float(s) for e, s in scores.items()}


def _local(at: datetime, time_zone: Optional[Text]) -> datetime:
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(zone(time_zone) or timezone.utc)


def chart(moods: Sequence[Tuple[datetime, Text]], steps: Sequence[Tuple[Text, Text, Optional[datetime]]],
          total_moods: Optional[int] = None, time_zone: Optional[Text] = None) -> Dict[Text, Any]:
    """The chart for mood entries ``(when, emotion)`` (oldest first) and steps ``(title, status,
    when)``; ``total_moods`` is how many entries there are in all when only the latest are given."""
    scores = mood_scores()
    data: Dict[Text, Any] = {
        "title": TITLE,
        "moods": [{"at": _local(at, time_zone).isoformat(timespec="seconds"), "emotion": emotion,
                   "score": scores.get(emotion, 0.0)} for at, emotion in moods],
        "steps": [{"title": title, "status": status,
                   "at": None if at is None else _local(at, time_zone).isoformat(timespec="seconds")}
                  for title, status, at in steps],
    }
    data["alt"] = describe(data, total_moods)
    return data


def for_person(session: Any, person: Any, catalogue: Any = None,
               time_zone: Optional[Text] = None) -> Dict[Text, Any]:
    """The chart of what the progress store holds for ``person`` (their latest MAX_MOODS moods),
    its times in ``time_zone`` (else the person's own zone, else UTC)."""
    from runner_up.guidance.catalogue import load
    from runner_up.store import repository

    catalogue = catalogue or load()
    moods = repository.mood_entries(session, person, limit=MAX_MOODS)
    steps = []
    for step in repository.steps_taken(session, person):
        known = catalogue.get(step.step_id)
        if known is not None:
            steps.append((known.title, step.status, step.done_at if step.status == "done" else step.accepted_at))
    return chart([(m.created_at, m.emotion) for m in moods], steps,
                 total_moods=repository.mood_count(session, person),
                 time_zone=time_zone if zone(time_zone) else person.time_zone)


def _day(at: datetime, with_year: bool = False) -> Text:
    return f"{at.day} {at:%b}" + (f" {at.year}" if with_year else "")


def _span(first: datetime, last: datetime) -> Text:
    with_year = first.year != last.year
    if first.date() == last.date():
        return f"on {_day(first)}"
    return f"from {_day(first, with_year)} to {_day(last, with_year)}"


def _names(titles: Iterable[Text]) -> Text:
    return ", ".join(titles)


def describe(data: Dict[Text, Any], total_moods: Optional[int] = None) -> Text:
    """One line that says what the chart shows (its alt text, and the message's text)."""
    moods = data["moods"]
    if not moods:
        mood_part = "No mood notes yet."
    else:
        times = [datetime.fromisoformat(m["at"]) for m in moods]
        shown = len(moods)
        count = (f"the latest {shown} of {total_moods} mood notes" if total_moods and total_moods > shown
                 else f"{shown} mood note{'s' if shown != 1 else ''}")
        if shown == 1:
            feeling = moods[0]["emotion"]
        else:
            half = shown // 2
            older = sum(m["score"] for m in moods[:half]) / half
            newer = sum(m["score"] for m in moods[shown - half:]) / half
            trend = ("lighter lately" if newer - older > TREND else "heavier lately"
                     if older - newer > TREND else "about the same over time")
            feeling = f"first {moods[0]['emotion']}, most recently {moods[-1]['emotion']}, {trend}"
        mood_part = f"{count[0].upper()}{count[1:]} {_span(times[0], times[-1])}: {feeling}."
    done = [s["title"] for s in data["steps"] if s["status"] == "done"]
    going = [s["title"] for s in data["steps"] if s["status"] == "accepted"]
    if not (done or going):
        step_part = "No steps taken on yet."
    else:
        step_part = " ".join(part for part in (
            f"Steps done: {_names(done)}." if done else "",
            f"In progress: {_names(going)}." if going else "") if part)
    return f"{mood_part} {step_part}"


def check(data: Any) -> Dict[Text, Any]:
    """``data`` if it is a chart (see the module's docstring); else ChartError saying what is wrong."""
    if not isinstance(data, dict):
        raise ChartError(f"a chart is an object, not {type(data).__name__}")
    for key in ("title", "alt"):
        if not isinstance(data.get(key), str):
            raise ChartError(f'"{key}" must be text')
    for key in ("moods", "steps"):
        if not isinstance(data.get(key), list):
            raise ChartError(f'"{key}" must be a list')
    for i, mood in enumerate(data["moods"]):
        if not (isinstance(mood, dict) and isinstance(mood.get("emotion"), str)):
            raise ChartError(f"moods[{i}] must be an object with an emotion")
        score = mood.get("score")
        if (isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score)
                or not -1 <= score <= 1):
            raise ChartError(f"moods[{i}].score must be a number from -1 to 1")
        _time(mood.get("at"), f"moods[{i}].at")
    for i, step in enumerate(data["steps"]):
        if not (isinstance(step, dict) and isinstance(step.get("title"), str)
                and isinstance(step.get("status"), str)):
            raise ChartError(f"steps[{i}] must be an object with a title and a status")
        if step.get("at") is not None:
            _time(step["at"], f"steps[{i}].at")
    return data


def _time(value: Any, where: Text) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ChartError(f"{where} must be an ISO-8601 time, not {value!r}") from None


# --- the layout both renderers draw -------------------------------------------------------------

# 440 wide, with 13.5 and 15 px text: on a 360 px phone the chart is about 300 px wide and its
# smallest text still about 9 px; on a desktop it is shown at its own size.
WIDTH = 440
TITLE_SIZE, BODY, SMALL = 19, 15, 13.5
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
INK, MUTED, GRID, LINE = "#1d2330", "#545d6e", "#d9d4ca", "#1f5f8b"
DONE, GOING = "#2e7d32", "#1f5f8b"
# One colour per emotion (the height says the same, so colour is never the only cue).
COLOURS = {"hopeful": "#2e7d32", "neutral": "#6b7280", "anxious": "#d18b00", "angry": "#b91c1c",
           "sad": "#1d4ed8", "ashamed": "#7c3aed", "hopeless": "#374151"}
TOP, PLOT_HEIGHT, LEFT, RIGHT = 50, 150, 80, WIDTH - 20
AXIS = [(1.0, "better"), (0.0, "neutral"), (-1.0, "harder")]


@dataclass(frozen=True)
class Shape:
    """One thing to draw: kind is rect, line, polyline, circle or text (y is the text's baseline)."""

    kind: Text
    points: Tuple[Tuple[float, float], ...] = ()
    size: float = 0.0           # circle radius, text size, rect (width, height) in points[1]
    fill: Optional[Text] = None
    stroke: Optional[Text] = None
    width: float = 0.0
    text: Text = ""
    anchor: Text = "start"      # start, middle, end
    bold: bool = False
    dash: bool = False


def _y(score: float) -> float:
    return TOP + (1 - score) / 2 * PLOT_HEIGHT


def _xs(count: int) -> List[float]:
    if count == 1:
        return [(LEFT + RIGHT) / 2]
    inner_left, inner_right = LEFT + 14, RIGHT - 14
    return [inner_left + i * (inner_right - inner_left) / (count - 1) for i in range(count)]


def _fit(text: Text, size: float, room: float) -> Text:
    """``text`` cut (with an ellipsis) to about ``room`` wide at ``size`` (a generous 0.6 em a char)."""
    most = max(4, int(room / (size * 0.6)))
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def _time_labels(times: List[datetime], xs: List[float]) -> List[Tuple[float, Text]]:
    if times[0].date() == times[-1].date():
        labels = [(xs[0], f"{_day(times[0])}, {times[0]:%H:%M}")]
        if len(times) > 1:
            labels.append((xs[-1], f"{times[-1]:%H:%M}"))
        return labels
    labels, last_x, last_day = [], -1e9, None
    for x, at in zip(xs, times):
        if at.date() != last_day and x - last_x >= 64:
            labels.append((x, _day(at)))
            last_x, last_day = x, at.date()
    return labels


def _layout(data: Dict[Text, Any]) -> Tuple[float, List[Shape]]:
    """The chart's height and shapes, in a WIDTH-wide coordinate system (y down)."""
    shapes: List[Shape] = [Shape("text", ((16, 28),), TITLE_SIZE, fill=INK, bold=True,
                                 text=_fit(data["title"], TITLE_SIZE, WIDTH - 32))]
    bottom = TOP + PLOT_HEIGHT
    moods = data["moods"]
    for score, word in AXIS if moods else ():
        shapes.append(Shape("line", ((LEFT, _y(score)), (RIGHT, _y(score))), stroke=GRID, width=1,
                            dash=score != 0))
        shapes.append(Shape("text", ((LEFT - 8, _y(score) + 4.5),), SMALL, fill=MUTED, text=word, anchor="end"))
    y = bottom
    if not moods:
        # Nothing to draw a line through: an empty panel that says so, no axis to misread.
        shapes.append(Shape("rect", ((16, TOP), (WIDTH - 32, PLOT_HEIGHT)), fill="#f1efe9"))
        shapes.append(Shape("text", ((WIDTH / 2, TOP + PLOT_HEIGHT / 2 - 4),), BODY, fill=INK,
                            text="Nothing noted yet", anchor="middle", bold=True))
        shapes.append(Shape("text", ((WIDTH / 2, TOP + PLOT_HEIGHT / 2 + 20),), SMALL, fill=MUTED,
                            text="How you feel will show here as we talk.", anchor="middle"))
    else:
        xs = _xs(len(moods))
        points = tuple((x, _y(m["score"])) for x, m in zip(xs, moods))
        if len(points) > 1:
            shapes.append(Shape("polyline", points, stroke=LINE, width=2.5))
        radius = 6 if len(points) <= 20 else 4.5
        for (x, py), mood in zip(points, moods):
            shapes.append(Shape("circle", ((x, py),), radius, fill=COLOURS.get(mood["emotion"], MUTED),
                                stroke="#ffffff", width=1.5))
        times = [datetime.fromisoformat(m["at"]) for m in moods]
        for x, label in _time_labels(times, xs):
            anchor = "start" if x < LEFT + 40 else "end" if x > RIGHT - 40 else "middle"
            shapes.append(Shape("text", ((x, bottom + 20),), SMALL, fill=MUTED, text=label, anchor=anchor))
        # The legend: the emotions drawn, from the most hopeful down, wrapped to the width.
        present = sorted({m["emotion"] for m in moods}, key=lambda e: -mood_scores().get(e, 0.0))
        x, y = 16.0, bottom + 46
        for emotion in present:
            word_width = len(emotion) * SMALL * 0.6 + 30
            if x + word_width > WIDTH - 16:
                x, y = 16.0, y + 22
            shapes.append(Shape("circle", ((x + 6, y - 4.5),), 6, fill=COLOURS.get(emotion, MUTED)))
            shapes.append(Shape("text", ((x + 17, y),), SMALL, fill=INK, text=_fit(emotion, SMALL, 120)))
            x += word_width
    y += 34
    shapes.append(Shape("text", ((16, y),), BODY, fill=INK, text="Steps", bold=True))
    steps = data["steps"]
    if not steps:
        y += 24
        shapes.append(Shape("text", ((16, y),), SMALL, fill=MUTED,
                            text="None taken on yet: ask me for one when you like."))
    # Two lines a step, the title then its status, so a title keeps the whole width on a phone.
    for step in steps[-MAX_STEPS:]:
        y += 26
        done = step["status"] == "done"
        colour = DONE if done else GOING
        if done:
            shapes.append(Shape("circle", ((24, y - 5),), 8, fill=colour))
            shapes.append(Shape("polyline", ((20, y - 5), (23, y - 1.8), (28.5, y - 8.8)), stroke="#ffffff",
                                width=2.2))
        else:
            shapes.append(Shape("circle", ((24, y - 5),), 7, fill="#ffffff", stroke=colour, width=2.2))
        shapes.append(Shape("text", ((42, y),), BODY, fill=INK, text=_fit(step["title"], BODY, WIDTH - 58)))
        status = STATUS_WORDS.get(step["status"], step["status"])
        if step.get("at"):
            status = f"{status}, {_day(datetime.fromisoformat(step['at']))}"
        y += 18
        shapes.append(Shape("text", ((42, y),), SMALL, fill=MUTED, text=_fit(status, SMALL, WIDTH - 58)))
    if len(steps) > MAX_STEPS:
        y += 24
        shapes.append(Shape("text", ((42, y),), SMALL, fill=MUTED,
                            text=f"and {len(steps) - MAX_STEPS} earlier"))
    height = y + 18
    return height, [Shape("rect", ((0, 0), (WIDTH, height)), fill="#ffffff")] + shapes


# --- the renderers ------------------------------------------------------------------------------

def _number(value: float) -> Text:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg_shape(shape: Shape) -> Text:
    paint = (f' fill="{shape.fill or "none"}"'
             + (f' stroke="{shape.stroke}" stroke-width="{_number(shape.width)}"' if shape.stroke else ""))
    (x, y) = shape.points[0]
    if shape.kind == "rect":
        w, h = shape.points[1]
        return f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(w)}" height="{_number(h)}"{paint}/>'
    if shape.kind == "line":
        (x2, y2) = shape.points[1]
        dash = ' stroke-dasharray="4 4"' if shape.dash else ""
        return (f'<line x1="{_number(x)}" y1="{_number(y)}" x2="{_number(x2)}" y2="{_number(y2)}"'
                f'{paint}{dash}/>')
    if shape.kind == "polyline":
        points = " ".join(f"{_number(px)},{_number(py)}" for px, py in shape.points)
        return (f'<polyline points="{points}"{paint} stroke-linejoin="round" stroke-linecap="round"/>')
    if shape.kind == "circle":
        return f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(shape.size)}"{paint}/>'
    weight = ' font-weight="bold"' if shape.bold else ""
    return (f'<text x="{_number(x)}" y="{_number(y)}" font-size="{_number(shape.size)}"'
            f' text-anchor="{shape.anchor}"{weight}{paint}>{escape(shape.text)}</text>')


def render_svg(data: Dict[Text, Any]) -> Text:
    """The chart as a self-contained SVG document: <title> and <desc> carry the title and the alt
    text, no script, no link or reference outside itself, every text XML-escaped."""
    check(data)
    height, shapes = _layout(data)
    h = _number(height)
    return "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h}" viewBox="0 0 {WIDTH} {h}"'
        f' role="img" aria-labelledby="chart-title chart-desc" font-family={quoteattr(FONT)}>',
        f'<title id="chart-title">{escape(data["title"])}</title>',
        f'<desc id="chart-desc">{escape(data["alt"])}</desc>',
        *(_svg_shape(shape) for shape in shapes),
        "</svg>",
    ])


def svg_data_url(data: Dict[Text, Any]) -> Text:
    """The SVG as a data: URL, for an <img> (an image of SVG never runs scripts)."""
    return "data:image/svg+xml;base64," + base64.b64encode(render_svg(data).encode()).decode()


# Matplotlib draws in points: the layout's unit is 0.01 inch (WIDTH units = 4.4 in), 0.72 pt.
POINTS_PER_UNIT = 0.72
DPI = 200  # 880 pixels wide: sharp on a high-density screen, small as a file


def render_png(data: Dict[Text, Any]) -> bytes:
    """The same chart as a PNG, drawn by matplotlib (Agg, no display; safe in a worker thread)."""
    check(data)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Rectangle

    height, shapes = _layout(data)
    figure = Figure(figsize=(WIDTH / 100, height / 100), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, WIDTH)
    axes.set_ylim(height, 0)
    axes.axis("off")
    align = {"start": "left", "middle": "center", "end": "right"}
    for order, shape in enumerate(shapes):  # later shapes on top, as in SVG
        (x, y) = shape.points[0]
        line = shape.width * POINTS_PER_UNIT
        if shape.kind == "rect":
            axes.add_patch(Rectangle((x, y), *shape.points[1], facecolor=shape.fill, edgecolor="none",
                                     zorder=order))
        elif shape.kind in ("line", "polyline"):
            axes.plot([p[0] for p in shape.points], [p[1] for p in shape.points], color=shape.stroke,
                      linewidth=line, linestyle=(0, (4, 4)) if shape.dash else "-",
                      solid_joinstyle="round", solid_capstyle="round", zorder=order)
        elif shape.kind == "circle":
            axes.add_patch(Circle((x, y), shape.size, facecolor=shape.fill,
                                  edgecolor=shape.stroke or "none", linewidth=line, zorder=order))
        else:
            axes.text(x, y, shape.text, fontsize=shape.size * POINTS_PER_UNIT, color=shape.fill,
                      ha=align[shape.anchor], va="baseline", fontweight="bold" if shape.bold else "normal",
                      family="DejaVu Sans", parse_math=False, zorder=order)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, facecolor="#ffffff", metadata={"Title": data["title"],
                                                                               "Description": data["alt"]})
    return out.getvalue()
