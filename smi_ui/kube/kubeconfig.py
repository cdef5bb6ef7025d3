"""Which kubeconfigs the dashboard accepts, and making imported ones self-contained.

The official client runs `exec` plugins and `auth-provider` commands and reads every file
a kubeconfig names, so a kubeconfig is code as much as data. The rules, in one place:

- from a form (the admin) or the API: no `exec`, no `auth-provider`, no file paths — only
  inline credentials (`*-data`, `token`, username/password);
- from the command line (`clusters add --kubeconfig`): the files it names are read and
  stored inline, relative paths resolved against the kubeconfig's folder as kubectl does;
  `exec` plugins only for commands on the operator's allow-list;
- when a client is built: the stored kubeconfig is checked again with the command-line
  rules, so a row written some other way cannot run anything not allowed.

No Django here: callers pass the allow-list (settings `KUBECONFIG_EXEC_ALLOWED_COMMANDS`).
"""

from __future__ import annotations

import base64
import copy
import os
import posixpath
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from smi_ui.smi.errors import FieldError

#: A kubeconfig is a few KiB; anything far larger is a mistake or an attack.
MAX_KUBECONFIG_BYTES = 256 * 1024
#: Far deeper than any kubeconfig (extensions included), far shallower than Python's recursion limit.
MAX_NESTING = 64
#: A CA bundle, certificate, key or token file.
MAX_REFERENCED_FILE_BYTES = 1024 * 1024

ALLOW_LIST_SETTING = "KUBECONFIG_EXEC_ALLOWED_COMMANDS"

#: File fields the client reads, and the inline field that holds the same content.
#: Certificates and keys go base64-encoded into `*-data`; a token file's text becomes `token`.
INLINE_FIELDS: dict[str, dict[str, str]] = {
    "cluster": {"certificate-authority": "certificate-authority-data"},
    "user": {"client-certificate": "client-certificate-data", "client-key": "client-key-data",
             "tokenFile": "token"},
}

#: Environment variables that change which program an allowed command runs or what it loads.
EXEC_ENV_REFUSED = frozenset({"PATH", "BASH_ENV", "ENV", "NODE_OPTIONS", "NODE_PATH", "RUBYOPT", "RUBYLIB",
                              "PERL5OPT", "PERL5LIB", "PERLLIB", "GCONV_PATH", "IFS"})
EXEC_ENV_REFUSED_PREFIXES = ("LD_", "DYLD_", "PYTHON")

NO_EXEC_HERE = ("runs a command on the dashboard host: not accepted here; register the cluster from the "
                f"command line (manage.py clusters add --kubeconfig) with the command in {ALLOW_LIST_SETTING}")
NO_AUTH_PROVIDER = ("auth-provider plugins run commands and rewrite credentials on the dashboard host: not "
                    "accepted; use an exec plugin (e.g. gke-gcloud-auth-plugin, kubelogin) from the command line")
NO_FILES = ("names a file on the dashboard host, which is never read from here; give its contents inline{inline}, "
            "or import the kubeconfig with manage.py clusters add --kubeconfig, which stores them")


def _problem(path: str, message: str, code: str) -> FieldError:
    """One refused part of a kubeconfig: where (e.g. `users[0].user.exec`), why, and a short code."""
    return FieldError(path, code, message)


def describe(problem: FieldError) -> str:
    """`path: message`, as forms and the command line show a refusal."""
    return f"{problem.path}: {problem.message}" if problem.path else problem.message


class KubeconfigError(ValueError):
    """A kubeconfig that is refused; `problems` names every field at fault."""

    def __init__(self, problems: list[FieldError]):
        self.problems = tuple(problems)
        super().__init__("; ".join(describe(problem) for problem in problems))


# ---- reading ---------------------------------------------------------------------------------


class _KubeconfigLoader(yaml.SafeLoader):
    """Safe YAML without aliases (they let a few bytes expand) and shallow (a kubeconfig nests ~6 deep)."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted in a kubeconfig", mark)
        if self.depth >= MAX_NESTING:
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_NESTING} deep", mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse(text: str | bytes) -> dict[str, Any]:
    """The kubeconfig in `text` as a mapping, or KubeconfigError saying why it is not one."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_KUBECONFIG_BYTES:
        raise KubeconfigError([_problem("", f"{size} bytes: a kubeconfig may have at most "
                                           f"{MAX_KUBECONFIG_BYTES} bytes", "too-large")])
    try:
        document = yaml.load(text, Loader=_KubeconfigLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        raise KubeconfigError([_problem("", f"not valid YAML: {error}", "invalid-yaml")]) from None
    if not isinstance(document, dict):
        raise KubeconfigError([_problem("", "a kubeconfig is a YAML mapping (apiVersion, clusters, users, "
                                           "contexts)", "invalid")])
    odd = _first_non_text_key(document, "")
    if odd is not None:
        raise KubeconfigError([_problem(odd, "keys must be text", "invalid")])
    for section in ("clusters", "users", "contexts"):
        if document.get(section) is not None and not isinstance(document[section], list):
            raise KubeconfigError([_problem(section, "must be a list", "invalid")])
    return document


def _first_non_text_key(value: Any, path: str) -> str | None:
    """The path of the first mapping key that is not a string (YAML allows `1:` or `null:`; kubectl does not)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}.{key!r}".lstrip(".")
            found = _first_non_text_key(item, f"{path}.{key}".lstrip("."))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_non_text_key(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _entries(document: Mapping[str, Any], section: str, body_key: str,
             problems: list[FieldError]) -> list[tuple[str, dict[str, Any]]]:
    """(path, body) of each well-formed entry of `clusters`/`users`/`contexts`; shape faults noted."""
    items = document.get(section)
    if items is None:
        return []
    if not isinstance(items, list):
        problems.append(_problem(section, "must be a list", "invalid"))
        return []
    found = []
    for index, item in enumerate(items):
        where = f"{section}[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("name", ""), str):
            problems.append(_problem(where, "must be a mapping with a string name", "invalid"))
            continue
        body = item.get(body_key)
        if body is None:
            continue
        if not isinstance(body, dict):
            problems.append(_problem(f"{where}.{body_key}", "must be a mapping", "invalid"))
            continue
        found.append((f"{where}.{body_key}", body))
    return found


def contexts(document: Mapping[str, Any]) -> list[dict[str, str]]:
    """Contexts with the server URL of the cluster each names (for `clusters add --all-contexts`)."""
    problems: list[FieldError] = []
    servers = {}
    for index, item in enumerate(document.get("clusters") or []):
        body = item.get("cluster") if isinstance(item, dict) else None
        if isinstance(item, dict) and body is None:
            servers[item.get("name", "")] = ""
        elif isinstance(body, dict) and isinstance(body.get("server", ""), str):
            servers[item.get("name", "")] = body.get("server", "")
        else:
            problems.append(_problem(f"clusters[{index}]", "must be a mapping with a cluster.server", "invalid"))
    found = []
    for index, item in enumerate(document.get("contexts") or []):
        body = item.get("context") if isinstance(item, dict) else None
        if not isinstance(body, dict) or not isinstance(item.get("name"), str):
            problems.append(_problem(f"contexts[{index}]", "must be a mapping with a name and a context", "invalid"))
            continue
        found.append({"name": item["name"], "server": servers.get(body.get("cluster", ""), "")})
    if problems:
        raise KubeconfigError(problems)
    return found


def only_context(document: Mapping[str, Any], name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The kubeconfig cut down to one context and the cluster and user it names.

    Returns the reduced document and where its entries came from (`users[0]` -> `users[3]`),
    so problems found in the reduced copy can name the field in the operator's file.
    """
    reduced: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "current-context": name}
    origin: dict[str, str] = {}

    def pick(section: str, wanted: Any) -> None:
        reduced[section] = []
        for index, item in enumerate(document.get(section) or []):
            if isinstance(item, dict) and item.get("name") == wanted:
                origin[f"{section}[{len(reduced[section])}]"] = f"{section}[{index}]"
                reduced[section].append(copy.deepcopy(item))
                return

    pick("contexts", name)
    context = (reduced["contexts"][0].get("context") or {}) if reduced["contexts"] else {}
    pick("clusters", context.get("cluster"))
    pick("users", context.get("user"))
    return reduced, origin


def relocate(error: KubeconfigError, origin: Mapping[str, str]) -> KubeconfigError:
    """The same problems with paths of a reduced copy mapped back to the original document."""
    moved = []
    for problem in error.problems:
        path = problem.path
        for reduced, original in origin.items():
            if path == reduced or path.startswith((reduced + ".", reduced + "[")):
                path = original + path[len(reduced):]
                break
        moved.append(_problem(path, problem.message, problem.code))
    return KubeconfigError(moved)


# ---- checking --------------------------------------------------------------------------------


def _is_file_field(key: str) -> bool:
    return key in INLINE_FIELDS["cluster"] or key in INLINE_FIELDS["user"] or key.endswith(("-file", "File"))


def _file_problem(path: str, key: str, section: str) -> FieldError:
    inline = INLINE_FIELDS[section].get(key)
    hint = f" as {inline}" + (" (base64)" if inline.endswith("-data") else "") if inline else ""
    return _problem(f"{path}.{key}", NO_FILES.format(inline=hint), "file-reference")


def command_allowed(command: str, allowed: Collection[str]) -> bool:
    """Names match names (looked up on PATH); entries with a slash match that exact absolute path."""
    for entry in allowed:
        if "/" in entry:
            if "/" in command and posixpath.normpath(command) == posixpath.normpath(entry):
                return True
        elif command == entry:
            return True
    return False


def _exec_problems(path: str, spec: Any, allowed: Collection[str] | None) -> list[FieldError]:
    if allowed is None:
        return [_problem(path, NO_EXEC_HERE, "exec-not-allowed")]
    if not isinstance(spec, dict):
        return [_problem(path, "must be a mapping", "invalid")]
    command = spec.get("command")
    if not isinstance(command, str) or not command.strip():
        return [_problem(f"{path}.command", "required: the command to run", "invalid")]
    found = []
    if "/" in command and not posixpath.isabs(command):
        found.append(_problem(f"{path}.command", f"{command!r} is a relative path; give an absolute path or a "
                                                   "name looked up on PATH", "exec-not-allowed"))
    elif not command_allowed(command, allowed):
        listed = ", ".join(allowed) or "empty"
        found.append(_problem(f"{path}.command", f"{command!r} is not in {ALLOW_LIST_SETTING} ({listed}): "
                                                   "not run", "exec-not-allowed"))
    args = spec.get("args") or []
    if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
        found.append(_problem(f"{path}.args", "must be a list of strings", "invalid"))
    env = spec.get("env") or []
    if not isinstance(env, list):
        return [*found, _problem(f"{path}.env", "must be a list of {name, value}", "invalid")]
    for index, item in enumerate(env):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(item.get("value"), str):
            found.append(_problem(f"{path}.env[{index}]", "must be a mapping of string name and value", "invalid"))
        elif name in EXEC_ENV_REFUSED or name.startswith(EXEC_ENV_REFUSED_PREFIXES):
            found.append(_problem(f"{path}.env[{index}].name", f"{name} changes which program runs or what it "
                                                                 "loads: not accepted", "exec-env"))
    return found


def problems(document: Any, *, allowed_exec_commands: Collection[str] | None = None) -> list[FieldError]:
    """Everything in `document` the client would run or read from disk, and is not allowed.

    `allowed_exec_commands=None` is the rule for forms and the API: no exec at all. A
    collection (possibly empty) is the command-line and load-time rule: exec only for those.
    `auth-provider` and file paths are refused either way (imports inline the files first).
    """
    if not isinstance(document, dict):
        return [_problem("", "a kubeconfig is a mapping (apiVersion, clusters, users, contexts)", "invalid")]
    found: list[FieldError] = []
    for path, body in _entries(document, "clusters", "cluster", found):
        found += [_file_problem(path, key, "cluster") for key in body if _is_file_field(key)]
    for path, body in _entries(document, "users", "user", found):
        for key, value in body.items():
            if key == "exec":
                found += _exec_problems(f"{path}.exec", value, allowed_exec_commands)
            elif key == "auth-provider":
                found.append(_problem(f"{path}.auth-provider", NO_AUTH_PROVIDER, "auth-provider"))
            elif _is_file_field(key):
                found.append(_file_problem(path, key, "user"))
    _entries(document, "contexts", "context", found)
    return found


def check(document: Any, *, allowed_exec_commands: Collection[str] | None = None) -> None:
    """Raise KubeconfigError naming every refused field (see `problems`)."""
    found = problems(document, allowed_exec_commands=allowed_exec_commands)
    if found:
        raise KubeconfigError(found)


# ---- importing from the command line ---------------------------------------------------------


def inline_file_references(document: Mapping[str, Any], base_dir: Path) -> dict[str, Any]:
    """A copy with every file the client would read stored inline, as kubectl would resolve it.

    Relative paths (and relative exec command paths) are taken from `base_dir`, the
    kubeconfig's folder. As in kubectl, a field given both as a file and inline is an error,
    except a `token`, which wins over `tokenFile`. An unreadable file is a KubeconfigError
    naming the field and the resolved path.
    """
    result = copy.deepcopy(dict(document))
    found: list[FieldError] = []
    for section, body_key in (("clusters", "cluster"), ("users", "user")):
        for path, body in _entries(result, section, body_key, found):
            for file_key, inline_key in INLINE_FIELDS[body_key].items():
                if file_key not in body:
                    continue
                reference = body.pop(file_key)
                if body.get(inline_key):
                    if inline_key != "token":  # kubectl refuses both too; a token wins over tokenFile
                        found.append(_problem(f"{path}.{file_key}", f"both {file_key} and {inline_key} are given; "
                                                                   "keep one", "invalid"))
                    continue
                content = _read_reference(f"{path}.{file_key}", reference, base_dir, found)
                if content is None:
                    continue
                if inline_key == "token":
                    body[inline_key] = content.decode("utf-8", errors="replace").strip()
                else:
                    body[inline_key] = base64.b64encode(content).decode()
            spec = body.get("exec") if body_key == "user" else None
            command = spec.get("command") if isinstance(spec, dict) else None
            if isinstance(command, str) and "/" in command and not os.path.isabs(command):
                spec["command"] = os.path.normpath(base_dir / command)
    if found:
        raise KubeconfigError(found)
    return result


def _read_reference(path: str, reference: Any, base_dir: Path, found: list[FieldError]) -> bytes | None:
    if not isinstance(reference, str) or not reference:
        found.append(_problem(path, "must be a file path", "invalid"))
        return None
    target = Path(reference) if os.path.isabs(reference) else base_dir / reference
    try:
        size = target.stat().st_size
        if size > MAX_REFERENCED_FILE_BYTES:
            found.append(_problem(path, f"{target}: {size} bytes, more than {MAX_REFERENCED_FILE_BYTES}", "too-large"))
            return None
        return target.read_bytes()
    except OSError as error:
        found.append(_problem(path, f"cannot read {target}: {error.strerror or error}", "file-unreadable"))
        return None


def prepare_import(document: Mapping[str, Any], context: str, base_dir: Path,
                   allowed_exec_commands: Collection[str]) -> dict[str, Any]:
    """One context of a kubeconfig file, self-contained and checked, ready to be stored.

    Problems name the fields of the original file (`users[3].user.client-key`).
    """
    reduced, origin = only_context(document, context)
    named = (reduced["contexts"][0].get("context") or {}) if reduced["contexts"] else {}
    missing = [_problem(f"contexts[0].context.{key}", f"names no {key} {named[key]!r} of this file", "invalid")
               for key, section in (("cluster", "clusters"), ("user", "users"))
               if named.get(key) and not reduced[section]]
    if missing:
        raise relocate(KubeconfigError(missing), origin)
    try:
        prepared = inline_file_references(reduced, base_dir)
        check(prepared, allowed_exec_commands=allowed_exec_commands)
    except KubeconfigError as error:
        raise relocate(error, origin) from None
    return prepared
