"""Parses swanctl's --raw output (a vici message dump) into python dicts.

Debian 12 has no python3-vici, so the harness reads what `swanctl --raw`
prints, one message per line:

    list-sa event {gw {uniqueid=1 state=ESTABLISHED child-sas {net-1 {spi-in=c1 local-ts=[10.0.1.0/24 fd00:1::/64]}}}}

Sections become dicts, key=value pairs strings, key=[a b] lists of strings.
Limit: the dump does not quote, so a value that contains a space, '}' or ']'
(an X.500 DN identity, say) cannot be split back reliably; the harness uses
email/FQDN identities.
"""


class ParseError(ValueError):
    pass


def parse_message(text):
    """Parses one dumped message body "{...}" (or "label {...}") into a dict."""
    brace = text.find("{")
    if brace < 0:
        raise ParseError(f"no message body in {text[:80]!r}")
    value, pos = _section(text, brace + 1)
    if text[pos:].strip():
        raise ParseError(f"trailing text after message: {text[pos:pos + 40]!r}")
    return value


def parse_events(output, label):
    """The bodies of every line of `output` that starts with `label` (e.g. "list-sa event")."""
    return [parse_message(line) for line in output.splitlines() if line.startswith(label + " ")]


def _section(s, i):
    out = {}
    n = len(s)
    while True:
        while i < n and s[i] == " ":
            i += 1
        if i >= n:
            raise ParseError("unterminated section")
        if s[i] == "}":
            return out, i + 1
        j = i
        while j < n and s[j] not in " ={}":
            j += 1
        name = s[i:j]
        if not name:
            raise ParseError(f"expected a name at {s[i:i + 40]!r}")
        if j < n and s[j] == "=":
            if j + 1 < n and s[j + 1] == "[":
                end = s.find("]", j + 2)
                if end < 0:
                    raise ParseError(f"unterminated list {name}")
                out[name] = s[j + 2:end].split()
                i = end + 1
            else:
                k = j + 1
                while k < n and s[k] not in " }":
                    k += 1
                out[name] = s[j + 1:k]
                i = k
        else:
            while j < n and s[j] == " ":
                j += 1
            if j >= n or s[j] != "{":
                raise ParseError(f"expected '{{' after section name {name!r}")
            out[name], i = _section(s, j + 1)
