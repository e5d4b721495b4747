"""Is a change result-neutral? Compare two runs' results directories file by file.

Stage directories are matched by their stage, parameters and the stage directories they read,
matched in turn (not by key: a change of code changes every key downstream of it), and every file but ``provenance.json`` must be equal
byte for byte. Prints one line per stage and exits 1 if any file differs or any stage of one
run has no partner in the other.

    python tools/result_neutral.py OLD/results NEW/results
"""

import argparse
import filecmp
import json
import sys
from pathlib import Path


def stage_dirs(results: Path) -> dict[str, list[Path]]:
    """identity -> the directories of that stage instance, where an instance's identity is its stage,
    its parameters and the identities of the instances it reads (its key without the code): a
    results directory that has seen several versions of a stage's code holds several."""
    records = {p.parent.name: json.loads(p.read_text()) for p in results.glob("*/*/provenance.json")}
    identities: dict[str, str] = {}

    def identity(key: str) -> str:
        if key not in identities:
            record = records[key]
            upstream = {name: identity(up) for name, up in record["upstream"].items()}
            identities[key] = json.dumps([record["stage"], record["params"], upstream], sort_keys=True)
        return identities[key]

    found: dict[str, list[Path]] = {}
    for key, record in sorted(records.items()):
        found.setdefault(identity(key), []).append(results / record["stage"] / key)
    return found


def differing_files(old: Path, new: Path) -> list[str]:
    names = {p.name for p in old.iterdir()} | {p.name for p in new.iterdir()}
    return sorted(name for name in names - {"provenance.json"}
                  if not ((old / name).is_file() and (new / name).is_file()
                          and filecmp.cmp(old / name, new / name, shallow=False)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    old, new = stage_dirs(args.old), stage_dirs(args.new)
    failures = 0
    for identity in sorted(old.keys() | new.keys()):
        a, b = old.get(identity, []), new.get(identity, [])
        stage = json.loads(identity)[0]
        if not a or not b:
            failures += 1
            print(f"{stage}: only in {'new' if not a else 'old'} ({', '.join(d.name for d in a or b)})")
            continue
        # The closest pair: where either side holds several versions, one of them may match.
        diff, x, y = min((differing_files(x, y), x, y) for x in a for y in b)
        failures += bool(diff)
        keys = "same key" if x.name == y.name else f"key {x.name} -> {y.name}"
        print(f"{stage}: {'DIFFERS in ' + ', '.join(diff) if diff else 'identical'} ({keys})")
    print(f"{len(old.keys() | new.keys())} stage directories, {failures} not identical")
    return int(failures > 0)


if __name__ == "__main__":
    sys.exit(main())
