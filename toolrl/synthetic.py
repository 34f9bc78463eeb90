"""A synthetic tool-use task that ships with the project: seeded, any size, canonical `Row`s.

Several tool families with typed parameters (strings, integers, floats, enums, lists of strings);
each row offers the tool(s) it needs plus distractors from other families. Kinds of rows:

- `simple`: one call to a tool without free-form arguments (none, or one enum value).
- `single`: one call answers the user.
- `parallel`: the user asks for two or three things at once, so two or three calls.
- `irrelevant`: nothing on offer fits (a joke, a poem...), so the target is a response only.
- `followup`: a multi-step history (user, earlier call, `<obs>` feedback); the target either
  answers from the observation or makes the next call with a value taken from it.

Every argument value appears verbatim in the dialogue, so a model can learn to copy it, and the
value types follow the tool's schema (`"days": 3`, not `"3"`), because the ToolRL reward compares
values with `==`.

Example::

    >>> rows = make_rows(4, seed=1)
    >>> len(rows), rows[0].source
    (4, 'synthetic')
    >>> make_rows(4, seed=1) == rows   # seeded: same rows every time
    True
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolrl.schema import Row, Target, ToolCall, ToolSpec, Turn

CITIES = [
    "Paris", "London", "Tokyo", "Berlin", "Madrid", "Rome", "Vienna", "Oslo", "Cairo", "Lima",
    "Sydney", "Toronto", "Dublin", "Prague", "Lisbon", "Seoul", "Nairobi", "Austin", "Boston", "Delhi",
]  # fmt: skip
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK"]
UNITS = ["celsius", "fahrenheit"]
LANGUAGES = ["French", "German", "Spanish", "Italian", "Japanese"]
PEOPLE = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy"]
TITLES = ["team sync", "budget review", "lunch", "design review", "standup", "offsite"]
PHRASES = ["good morning", "thank you", "see you soon", "where is the station", "happy birthday"]
PRODUCTS = ["laptop", "headphones", "backpack", "desk lamp", "keyboard", "water bottle"]
COLORS = ["red", "blue", "black", "green"]
MODES = ["heat", "cool", "off"]
GENRES = ["jazz", "rock", "classical"]
OFF_TOPIC = [
    ("Tell me something funny.", "Why did the function return early? It had no arguments left."),
    (
        "Write a short poem about the sea.",
        "Waves fold in silver light, the sea keeps time all night.",
    ),
    ("What is the capital of France?", "The capital of France is Paris."),
    ("How are you today?", "I am doing well, thank you for asking."),
    ("Who wrote Hamlet?", "Hamlet was written by William Shakespeare."),
    ("Give me a fun fact.", "Octopuses have three hearts."),
]


def _schema(props: dict[str, dict[str, Any]], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required or list(props)}


@dataclass(frozen=True)
class Tool:
    """A tool of the task: its spec and a sampler of (user request, arguments)."""

    spec: ToolSpec
    family: str
    sample: Callable[[random.Random], tuple[str, dict[str, Any]]]


def _weather(r: random.Random) -> tuple[str, dict[str, Any]]:
    city, unit = r.choice(CITIES), r.choice(UNITS)
    ask = r.choice(["What is the weather in {c} in {u}?", "Weather for {c} please, in {u}."])
    return ask.format(c=city, u=unit), {"city": city, "unit": unit}


def _forecast(r: random.Random) -> tuple[str, dict[str, Any]]:
    city, days = r.choice(CITIES), r.randint(1, 7)
    ask = r.choice(
        ["Give me the {d} day forecast for {c}.", "Forecast for {c} for the next {d} days?"]
    )
    return ask.format(c=city, d=days), {"city": city, "days": days}


def _time(r: random.Random) -> tuple[str, dict[str, Any]]:
    city = r.choice(CITIES)
    ask = r.choice(["What time is it in {c}?", "Current local time in {c}?"])
    return ask.format(c=city), {"city": city}


def _add(r: random.Random) -> tuple[str, dict[str, Any]]:
    a, b = r.randint(1, 99), r.randint(1, 99)
    ask = r.choice(["What is {a} plus {b}?", "Add {a} and {b}."])
    return ask.format(a=a, b=b), {"a": a, "b": b}


def _multiply(r: random.Random) -> tuple[str, dict[str, Any]]:
    a, b = r.randint(2, 20), round(r.uniform(0.5, 9.5), 1)
    ask = r.choice(["Multiply {a} by {b}.", "What is {a} times {b}?"])
    return ask.format(a=a, b=b), {"a": a, "b": b}


def _convert(r: random.Random) -> tuple[str, dict[str, Any]]:
    amount = r.choice([r.randint(5, 500), round(r.uniform(1, 99), 2)])
    src, dst = r.sample(CURRENCIES, 2)
    ask = r.choice(["Convert {m} {s} to {d}.", "How much is {m} {s} in {d}?"])
    return ask.format(m=amount, s=src, d=dst), {
        "amount": amount,
        "from_currency": src,
        "to_currency": dst,
    }


def _event(r: random.Random) -> tuple[str, dict[str, Any]]:
    title = r.choice(TITLES)
    date = f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
    people = r.sample(PEOPLE, r.randint(1, 3))
    ask = r.choice(["Schedule a {t} on {d} with {p}.", "Create an event {t} for {d}, invite {p}."])
    return ask.format(t=title, d=date, p=" and ".join(people)), {
        "title": title,
        "date": date,
        "attendees": people,
    }


def _message(r: random.Random) -> tuple[str, dict[str, Any]]:
    who, text = r.choice(PEOPLE), r.choice(PHRASES)
    ask = r.choice(["Send {w} a message saying {t}.", "Text {w}: {t}"])
    return ask.format(w=who, t=text), {"recipient": who, "text": text}


def _translate(r: random.Random) -> tuple[str, dict[str, Any]]:
    text, lang = r.choice(PHRASES), r.choice(LANGUAGES)
    ask = r.choice(["Translate {t} into {l}.", "How do you say {t} in {l}?"])
    return ask.format(t=text, l=lang), {"text": text, "target_language": lang}


def _search(r: random.Random) -> tuple[str, dict[str, Any]]:
    item, price = r.choice(PRODUCTS), r.randint(20, 900)
    colors = r.sample(COLORS, r.randint(1, 2))
    ask = r.choice(["Find a {c} {i} under {p} dollars.", "Search for {i} in {c}, max price {p}."])
    return ask.format(i=item, p=price, c=" or ".join(colors)), {
        "query": item,
        "max_price": price,
        "colors": colors,
    }


def _date(r: random.Random) -> tuple[str, dict[str, Any]]:
    return r.choice(["What is the date today?", "Which day is it today?"]), {}


def _coin(r: random.Random) -> tuple[str, dict[str, Any]]:
    return r.choice(["Flip a coin for me.", "Heads or tails? Toss a coin."]), {}


def _thermostat(r: random.Random) -> tuple[str, dict[str, Any]]:
    mode = r.choice(MODES)
    ask = r.choice(["Set the thermostat to {m}.", "Switch the heating system to {m} mode."])
    return ask.format(m=mode), {"mode": mode}


def _music(r: random.Random) -> tuple[str, dict[str, Any]]:
    genre = r.choice(GENRES)
    ask = r.choice(["Play some {g} music.", "Put on a {g} playlist."])
    return ask.format(g=genre), {"genre": genre}


def _tool(name: str, family: str, desc: str, props: dict[str, Any], sample: Callable) -> Tool:
    return Tool(ToolSpec(name=name, description=desc, parameters=_schema(props)), family, sample)


_S, _I, _N = {"type": "string"}, {"type": "integer"}, {"type": "number"}
TOOLS: list[Tool] = [
    _tool("get_weather", "weather", "Current weather for a city.",
          {"city": _S, "unit": {"type": "string", "enum": UNITS}}, _weather),
    _tool("get_forecast", "weather", "Weather forecast for the next days.",
          {"city": _S, "days": _I}, _forecast),
    _tool("get_time", "time", "Current local time in a city.", {"city": _S}, _time),
    _tool("add", "math", "Add two numbers.", {"a": _N, "b": _N}, _add),
    _tool("multiply", "math", "Multiply two numbers.", {"a": _N, "b": _N}, _multiply),
    _tool("convert_currency", "finance", "Convert an amount between currencies.",
          {"amount": _N, "from_currency": {"type": "string", "enum": CURRENCIES},
           "to_currency": {"type": "string", "enum": CURRENCIES}}, _convert),
    _tool("create_event", "calendar", "Create a calendar event.",
          {"title": _S, "date": {"type": "string", "format": "date"},
           "attendees": {"type": "array", "items": _S}}, _event),
    _tool("send_message", "messaging", "Send a text message to a contact.",
          {"recipient": _S, "text": _S}, _message),
    _tool("translate", "language", "Translate a phrase.",
          {"text": _S, "target_language": {"type": "string", "enum": LANGUAGES}}, _translate),
    _tool("search_products", "shopping", "Search the shop catalogue.",
          {"query": _S, "max_price": _I, "colors": {"type": "array", "items": _S}}, _search),
    # Simple tools: no arguments or one enum, so no free-form value has to be copied.
    _tool("get_date", "calendar", "Today's date.", {}, _date),
    _tool("flip_coin", "games", "Flip a coin.", {}, _coin),
    _tool("set_thermostat", "home", "Set the thermostat mode.",
          {"mode": {"type": "string", "enum": MODES}}, _thermostat),
    _tool("play_music", "media", "Play music of a genre.",
          {"genre": {"type": "string", "enum": GENRES}}, _music),
]  # fmt: skip
TOOLS_BY_NAME = {t.spec.name: t for t in TOOLS}

# Default mix of row kinds (weights, normalised when drawing).
DEFAULT_MIX: dict[str, float] = {
    "simple": 0.35,
    "single": 0.3,
    "parallel": 0.1,
    "irrelevant": 0.1,
    "followup": 0.15,
}
# Tools without a free-form argument (none, or one enum).
SIMPLE_TOOLS = ("get_date", "flip_coin", "set_thermostat", "play_music")


def _offer(r: random.Random, needed: list[Tool], n_tools: tuple[int, int]) -> list[ToolSpec]:
    """The needed tools plus distractors, shuffled."""
    names = {t.spec.name for t in needed}
    others = [t for t in TOOLS if t.spec.name not in names]
    k = max(0, r.randint(*n_tools) - len(needed))
    chosen = needed + r.sample(others, min(k, len(others)))
    r.shuffle(chosen)
    return [t.spec for t in chosen]


def _single(
    r: random.Random, n_tools: tuple[int, int], pool: list[Tool] | None = None
) -> tuple[list[ToolSpec], list[Turn], Target]:
    tool = r.choice(pool or TOOLS)
    ask, args = tool.sample(r)
    thought = f"The user asks about {tool.family}, so I call {tool.spec.name}."
    target = Target(thought=thought, calls=[ToolCall(name=tool.spec.name, parameters=args)])
    return _offer(r, [tool], n_tools), [Turn(role="user", content=ask)], target


def _simple(
    r: random.Random, n_tools: tuple[int, int]
) -> tuple[list[ToolSpec], list[Turn], Target]:
    return _single(r, n_tools, [TOOLS_BY_NAME[n] for n in SIMPLE_TOOLS])


def _parallel(
    r: random.Random, n_tools: tuple[int, int]
) -> tuple[list[ToolSpec], list[Turn], Target]:
    tools = [r.choice(TOOLS) for _ in range(r.randint(2, 3))]
    asks, calls = [], []
    for tool in tools:
        ask, args = tool.sample(r)
        asks.append(ask)
        calls.append(ToolCall(name=tool.spec.name, parameters=args))
    unique = [TOOLS_BY_NAME[name] for name in dict.fromkeys(t.spec.name for t in tools)]
    thought = f"The user has {len(calls)} requests, so I make {len(calls)} calls."
    return (
        _offer(r, unique, n_tools),
        [Turn(role="user", content=" Also, ".join(asks))],
        Target(thought=thought, calls=calls),
    )


def _irrelevant(
    r: random.Random, n_tools: tuple[int, int]
) -> tuple[list[ToolSpec], list[Turn], Target]:
    ask, answer = r.choice(OFF_TOPIC)
    thought = "No tool fits this request, so I answer directly."
    target = Target(thought=thought, response=answer)
    return _offer(r, [], n_tools), [Turn(role="user", content=ask)], target


def _followup(
    r: random.Random, n_tools: tuple[int, int]
) -> tuple[list[ToolSpec], list[Turn], Target]:
    city = r.choice(CITIES)
    first = TOOLS_BY_NAME["get_weather"]
    unit = r.choice(UNITS)
    temp = r.randint(-5, 35)
    obs = f'[{{"name": "get_weather", "results": {{"temperature": {temp}, "unit": "{unit}"}}}}]'
    history = [
        Turn(role="user", content=f"What is the weather in {city} in {unit}?"),
        Turn(
            role="assistant",
            calls=[ToolCall(name="get_weather", parameters={"city": city, "unit": unit})],
        ),
        Turn(role="observation", content=obs),
    ]
    if r.random() < 0.5:
        # Answer from the observation: a response-only target after a tool call.
        target = Target(
            thought="The tool returned the weather, so I report it.",
            response=f"It is {temp} degrees {unit} in {city}.",
        )
        return _offer(r, [first], n_tools), history, target
    # Next call uses a value from the observation and a new user turn.
    who = r.choice(PEOPLE)
    history.append(Turn(role="assistant", response=f"It is {temp} degrees {unit} in {city}."))
    history.append(Turn(role="user", content=f"Send that to {who}."))
    text = f"It is {temp} degrees {unit} in {city}."
    nxt = TOOLS_BY_NAME["send_message"]
    target = Target(
        thought="The user wants the weather sent, so I call send_message.",
        calls=[ToolCall(name="send_message", parameters={"recipient": who, "text": text})],
    )
    return _offer(r, [first, nxt], n_tools), history, target


KINDS: dict[
    str, Callable[[random.Random, tuple[int, int]], tuple[list[ToolSpec], list[Turn], Target]]
] = {
    "simple": _simple,
    "single": _single,
    "parallel": _parallel,
    "irrelevant": _irrelevant,
    "followup": _followup,
}


def make_rows(
    n: int,
    *,
    seed: int = 0,
    mix: dict[str, float] | None = None,
    n_tools: tuple[int, int] = (2, 4),
    id_prefix: str = "syn",
) -> list[Row]:
    """`n` synthetic rows drawn with `seed`; `mix` weights the row kinds (see `DEFAULT_MIX`).

    `n_tools` bounds how many tools a row offers (the needed ones always included).

    >>> [r.meta["kind"] for r in make_rows(3, seed=0, mix={"irrelevant": 1.0})]
    ['irrelevant', 'irrelevant', 'irrelevant']
    """
    mix = mix or DEFAULT_MIX
    unknown = set(mix) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown row kinds {sorted(unknown)}; known: {sorted(KINDS)}")
    kinds, weights = zip(*[(k, w) for k, w in mix.items() if w > 0], strict=True)
    r = random.Random(seed)
    rows = []
    for i in range(n):
        kind = r.choices(kinds, weights=weights)[0]
        tools, history, target = KINDS[kind](r, n_tools)
        rows.append(
            Row(
                id=f"{id_prefix}-{seed}-{i}",
                tools=tools,
                history=history,
                target=target,
                source="synthetic",
                meta={"kind": kind},
            )
        )
    return rows


def make_splits(
    n_train: int, n_val: int, *, seed: int = 0, **kwargs: Any
) -> tuple[list[Row], list[Row]]:
    """Train and held-out rows from independent seeds (no shared random stream).

    >>> train, val = make_splits(5, 2, seed=3)
    >>> len(train), len(val), train[0].id != val[0].id
    (5, 2, True)
    """
    train = make_rows(n_train, seed=seed, id_prefix="train", **kwargs)
    val = make_rows(n_val, seed=seed + 1_000_003, id_prefix="val", **kwargs)
    return train, val
