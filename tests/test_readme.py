"""The documentation: the library example runs; every generated block comes from finished runs and
the registry, in the file it belongs to."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

ROW = {"id": "F9.x", "kind": "difference", "estimate": 1.0, "ci_low": 0.5, "ci_high": 1.5, "ci_level": 0.95,
       "margin": 0.0, "threshold": "> 0", "verdict": "supported", "is_control": False, "changed_ingredient": "",
       "seed_agreement": np.nan}


def _finished_run(tmp_path):
    """A default run's directory: one claim, the figures the docs show and its provenance."""
    import pandas as pd

    run = _run_directory(tmp_path)
    pd.DataFrame([ROW]).to_csv(run / "claims.csv", index=False)
    return run


def _run_directory(tmp_path):
    """A run's view with the figures the docs show, as its own (claims) stage directory."""
    import json

    from replication.docs.generate import SHOWN

    run = tmp_path / "run"
    run.mkdir()
    (run / "provenance.json").write_text(json.dumps({"stage": "claims", "key": "c0", "params": {}, "upstream": {}}))
    for name in SHOWN:
        (run / name).write_bytes(b"png")
    return run


def _documents(root, **blocks):
    """README.md and the docs pages under ``root``, each with its generated blocks' markers and the
    text ``blocks`` gives them (by marker name)."""
    from replication.docs import generate as g

    pages = {"README.md": [(g.SUMMARY_START, g.SUMMARY_END), (g.PAPER_START, g.PAPER_END)],
             "docs/results.md": [(g.START, g.END)], "docs/performance.md": [(g.BENCH_START, g.BENCH_END)],
             "docs/paper-config.md": [(g.RUN_START, g.RUN_END), (g.RUN_CLAIMS_START, g.RUN_CLAIMS_END),
                                      (g.RUN_POWER_START, g.RUN_POWER_END)]}
    for page, markers in pages.items():
        path = root / page
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{start}\n{blocks.get(start, '')}\n{end}\nafter\n" for start, end in markers))


def test_library_example_runs():
    text = (Path(__file__).resolve().parents[1] / "docs" / "library.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    namespace = {"print": lambda *args: None}
    exec(code, namespace)
    f = namespace["f"]
    assert f.mean.shape == (49,) and np.all(f.stderr > 0) and f.truncation_bound < 1e-4


def test_results_and_summary_are_generated_from_claims(tmp_path):
    import pandas as pd

    from replication.docs.generate import END, SHOWN, START, SUMMARY_START, refresh
    from replication.docs.generate import pipeline_map

    run = _run_directory(tmp_path)
    rows = [ROW, {**ROW, "id": "F9.y", "estimate": 0.0, "ci_low": -1.0, "verdict": "supported", "is_control": True}]
    pd.DataFrame(rows).to_csv(run / "claims.csv", index=False)
    pd.DataFrame(rows).assign(seed_agreement=[1.0, 0.5]).to_csv(tmp_path / "stability.csv", index=False)
    _documents(tmp_path, **{START: "STALE", SUMMARY_START: "OLD"})
    refresh(run, tmp_path)
    readme, results = (tmp_path / "README.md").read_text(), (tmp_path / "docs" / "results.md").read_text()
    assert "OLD" not in readme and pipeline_map() in readme and readme.endswith("after\n")
    summary = "1 claim tests (1 rows), 1 decided: 1 supported. 1 controls: 1 NOT as expected"
    assert summary in readme and "| `F9.x`" not in readme  # the front door has the summary, docs/ the rows
    assert "STALE" not in results and results.endswith(f"{END}\nafter\n") and summary in results
    assert "| `F9.x` | difference | 1 [0.5, 1.5] (95%) | 0 | supported |  |  |" in results
    assert "**NOT as expected**" in results and "not measured in this run" in results
    assert (tmp_path / "workflow" / "report" / "images" / SHOWN[0]).read_bytes() == b"png"
    (tmp_path / "stability.csv").rename(run / "stability.csv")  # make stability ran: its table wins
    refresh(run, tmp_path)
    assert "| `F9.x` | difference | 1 [0.5, 1.5] (95%) | 0 | supported | 1 |  |" in (
        tmp_path / "docs" / "results.md").read_text()


def test_performance_page_comes_from_the_benchmark_files(tmp_path):
    import pandas as pd

    from replication.docs.generate import BENCH_START, benchmark_tables, refresh

    assert benchmark_tables(tmp_path) is None  # nothing measured yet: the page is left alone
    run = _finished_run(tmp_path)
    _documents(tmp_path, **{BENCH_START: "STALE"})
    refresh(run, tmp_path, benchmarks=tmp_path)
    assert "STALE" in (tmp_path / "docs" / "performance.md").read_text()
    names = ("training", "training_laws", "field", "field_scaling", "field_directions", "field_settings", "pipeline",
             "memory", "stage_minutes")
    for name in names:
        pd.DataFrame([{"what": name, "value": 1.23456}]).to_csv(tmp_path / f"{name}.csv", index=False)
    # The commit of the code that measured each table (benchmarks/common.py); one table was not recorded.
    (tmp_path / "commits.json").write_text(json.dumps({name: "abc123" for name in names[1:]}))
    refresh(run, tmp_path, benchmarks=tmp_path)
    text = (tmp_path / "docs" / "performance.md").read_text()
    assert "STALE" not in text and text.count("| pipeline | 1.23 |") == 1 and "benchmarks/training.py" in text
    assert "CPU minutes of the verdict stages" in text and "Lyapunov map's estimates" in text
    assert "From `make bench`, code of commit abc123, not recorded." in text


def test_every_generated_block_lives_in_docs_but_the_summary_and_the_map():
    """The README is a front door (at most 250 lines): its only generated blocks are the default
    run's summary line and the paper-to-pipeline map; every table is in docs/ and is filled there."""
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    assert set(re.findall(r"<!-- ([\w-]+):start -->", readme)) == {"summary", "paper"}
    blocks = {page.name: set(re.findall(r"<!-- ([\w-]+):start -->", page.read_text()))
              for page in (root / "docs").glob("*.md")}
    assert {name: found for name, found in blocks.items() if found} == {
        "results.md": {"claims"}, "performance.md": {"bench"},
        "paper-config.md": {"paper-run", "paper-claims", "paper-power", "paper-seed-power"}}


def test_paper_run_section_comes_from_that_run_s_benchmark_files(tmp_path):
    import os

    import pandas as pd

    from replication.docs.generate import RUN_CLAIMS_START, RUN_START, config_of, jobs_of, refresh
    from replication.stages import StageTable

    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("name: big\nresources: {flow: {mem_mb: 900, runtime: 70}}\n")
    config = config_of(overlay)
    assert config["resources"]["flow"] == {"mem_mb": 900, "runtime": 70}  # merged key by key
    assert config["resources"]["train"] == {"mem_mb": 450, "runtime": 10}  # the rest from config.yaml
    results = tmp_path / "results"
    jobs = jobs_of(config, results)
    assert jobs["seconds"].isna().all() and {"data", "flow", "claims"} <= set(jobs["stage"])
    # Two jobs ran: data for 60 s ending at t = 1000, flow for `over` for 120 s ending at t = 1150.
    table = StageTable(Path(__file__).resolve().parents[1])
    keys = {(stage, table.specs[stage][key]["params"].get("network")): key
            for stage, key in table.register(config)["stages"] if stage in ("data", "flow")}
    for (stage, network), seconds, ended in ((("data", None), 60, 1000), (("flow", "over"), 120, 1150)):
        tsv = results / "benchmarks" / stage / f"{keys[stage, network]}.tsv"
        tsv.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame([{"s": seconds, "cpu_time": seconds / 2, "max_rss": 300.0 + seconds}]).to_csv(tsv, sep="\t", index=False)
        os.utime(tsv, (ended, ended))
    run = _finished_run(tmp_path)
    _documents(tmp_path, **{RUN_START: "STALE", RUN_CLAIMS_START: "OLD"})
    page = tmp_path / "docs" / "paper-config.md"
    refresh(run, tmp_path, paper=overlay, results=results)
    text = page.read_text()
    assert "STALE" not in text and f"2 of {len(jobs)} jobs finished" in text
    assert "to the last job's end 3.5 min" in text  # from 1000 - 60 to 1150: 30 s between them, one run
    assert "sum to 3.0 min" in text and "peak memory 420 MB (`flow`, sampled)" in text
    assert "The longest job: 2.0 min (`flow` over)" in text
    assert "with a cluster slot for every job: 3.0 min (`data` -> `train` -> `flow_shard` -> `flow` -> " in text  # 60 s, then 120 s
    assert "| `flow` | over | 2.0 | 420 | 900, 70 |" in text and "| `flow` | under | did not finish | | 900, 70 |" in text
    assert "OLD" in text  # no claims of that run yet: the block is left alone
    _finished_view(results, "big", {("claims", "c1", None): {"flow_over": "f1"}, ("flow", "f1", "over"): {}})
    refresh(run, tmp_path, paper=overlay, results=results)
    assert "OLD" not in page.read_text() and page.read_text().count("| `F9.x` | difference |") == 1
    # Once its blocks are written, the run's page keeps its commit and its table, whatever the code
    # or the config asks for later (here the flow jobs' resources).
    written = re.sub(r'"commit": "[^"]*"', '"commit": "0123abcd"', page.read_text())
    page.write_text(written)
    overlay.write_text("name: big\nresources: {flow: {mem_mb: 100, runtime: 5}}\n")
    refresh(run, tmp_path, paper=overlay, results=results)
    assert page.read_text() == written and "| `flow` | over | 2.0 | 420 | 900, 70 |" in written


def _finished_view(results, name, stages):
    """results/current/<name>/claims.csv linked into a claims directory, and the stage directories
    ``stages`` ((stage, key, network) -> upstream) with their provenance files."""
    import json

    import pandas as pd

    for (stage, key, network), upstream in stages.items():
        directory = results / stage / key
        directory.mkdir(parents=True)
        params = {"network": network} if network else {}
        (directory / "provenance.json").write_text(json.dumps({"stage": stage, "key": key, "params": params,
                                                                "upstream": upstream}))
        if stage == "claims":
            pd.DataFrame([ROW]).to_csv(directory / "claims.csv", index=False)
            (results / "current" / name).mkdir(parents=True)
            (results / "current" / name / "claims.csv").symlink_to(f"../../claims/{key}/claims.csv")


def test_a_finished_run_s_jobs_come_from_its_provenance(tmp_path):
    """Once a run has its view, its table lists the jobs that run made (found through the
    provenance files), not those the current code would plan; an input that is missing is named."""
    import pandas as pd
    import pytest

    from replication.docs.generate import config_of, jobs_of

    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("name: big\n")
    config = config_of(overlay)
    results = tmp_path / "results"
    _finished_view(results, "big", {("claims", "c1", None): {"flow_over": "f1", "data": "d1"},
                                    ("flow", "f1", "over"): {"data": "d1"}, ("data", "d1", None): {}})
    tsv = results / "benchmarks" / "flow" / "f1.tsv"
    tsv.parent.mkdir(parents=True)
    pd.DataFrame([{"s": 120.0, "cpu_time": 60.0, "max_rss": 420.0}]).to_csv(tsv, sep="\t", index=False)
    jobs = jobs_of(config, results)
    assert sorted(zip(jobs["stage"], jobs["instance"])) == [("claims", ""), ("data", ""), ("flow", "over")]
    assert jobs.set_index("stage").loc["flow", "seconds"] == 120.0 and jobs["seconds"].notna().sum() == 1
    (results / "data" / "d1" / "provenance.json").unlink()
    (results / "data" / "d1").rmdir()
    with pytest.raises(SystemExit, match="data = d1"):
        jobs_of(config, results)


def test_the_default_config_s_published_tables_are_not_stale():
    """The README's summary and docs/results.md name the run they came from, and every stage key of
    that run is one the current code plans: a code change that moves a key fails here until
    `make stability` and `make docs` publish the new run."""
    from replication.docs.stamps import ROOT, records_in, stale_stages

    for page in ("README.md", "docs/results.md"):
        records = records_in((ROOT / page).read_text())
        assert records and all(record["config"] == "default" for record in records), page
        assert [stale_stages(record) for record in records] == [[]] * len(records), page


def test_the_paper_config_s_tables_say_whether_they_are_stale():
    """A paper-config table may be older than the code, but its opening line says so, naming the
    stages whose keys moved (`python -m replication.docs.stamps` re-marks it)."""
    from replication.docs.stamps import RECORD, ROOT, opening_line, stale_stages

    matches = list(RECORD.finditer((ROOT / "docs" / "paper-config.md").read_text()))
    assert len(matches) == 4  # the job table, the claims, the power of the Lyapunov map and at fewer seeds
    for match in matches:
        record = json.loads(match["record"])
        assert record["config"] == "paper" and match["line"] == opening_line(record, stale_stages(record))


def test_a_table_goes_stale_when_a_stage_s_code_changes(tmp_path):
    """The README's record against a copy of the code in which capture's script computes something
    else: capture and everything downstream of it (claims, its figure, stability) are named."""
    from helpers import copy_repository
    from replication.docs.stamps import ROOT, opening_line, records_in, stale_stages

    record = records_in((ROOT / "README.md").read_text())[0]
    copy = copy_repository(tmp_path / "copy")
    assert stale_stages(record, copy) == []
    script = copy / "scripts" / "capture.py"
    script.write_text(script.read_text().replace('"capture", name, "batches"', '"capture", name, "other batches"'))
    stale = stale_stages(record, copy)
    assert {"capture", "claims", "figures"} <= set(stale) and "train" not in stale
    assert opening_line(record, stale).startswith("**Stale**") and "`capture`" in opening_line(record, stale)


def test_a_job_reused_from_an_earlier_run_stays_outside_the_run_s_span():
    """The span covers the jobs whose times join up to the last job's end; a job that ended more than
    a minute before the others started (its results cached from an earlier run) is counted apart."""
    import pandas as pd

    from replication.docs.generate import run_table

    jobs = pd.DataFrame({"stage": ["data", "train", "minima"], "instance": ["", "over", "over"],
                         "key": ["d", "t", "m"], "upstream": [[], ["d"], ["d", "t"]], "asks_mb": 500,
                         "asks_min": 10, "seconds": [6.0, 120.0, 60.0], "max_rss_mb": [200.0, 300.0, 250.0],
                         "ended": [0.0, 10_120.0, 10_200.0]})
    summary = run_table(jobs).splitlines()[0]
    assert summary.startswith("3 of 3 jobs finished (1 of them reused from an earlier run, outside the span); "
                              "from the first job's start to the last job's end 3.3 min")  # 10000 to 10200
    jobs.loc[0, "ended"] = 9_990.0  # 10 s before train started: the same run
    assert "to the last job's end 3.6 min" in run_table(jobs).splitlines()[0]  # 9984 to 10200


def test_the_critical_path_is_the_longest_chain_of_wall_times():
    """A diamond: data (1 s) feeds two shards (5 s and 10 s) that a gather (2 s) joins; with a slot
    for every job the run takes 1 + 10 + 2 s, whatever the shards' sum."""
    import pandas as pd

    from replication.docs.generate import critical_path

    jobs = pd.DataFrame([("data", "d", [], 1.0), ("lyapunov_shard", "s1", ["d"], 5.0),
                         ("lyapunov_shard", "s2", ["d"], 10.0), ("lyapunov_pl", "g", ["s1", "s2"], 2.0)],
                        columns=["stage", "key", "upstream", "seconds"])
    assert critical_path(jobs) == (13.0, ["data", "lyapunov_shard", "lyapunov_pl"])


def test_a_fresh_run_s_schedule_puts_the_longest_chain_first_and_keeps_graham_s_bounds():
    """On 2 cores: data (1 s) -> train (10 s) beside two 5 s jobs. Each core that comes free takes the
    ready job with the longest chain after it: data and one 5 s job first, then train the moment
    data is done, so the run takes 11 s (first come, first served would take 15). On random job
    graphs every schedule lies between max(critical path, sum / cores) and Graham's bound
    sum / cores + (1 - 1 / cores) x critical path, and with a core for every job it is the critical path."""
    import pandas as pd

    from replication.docs.generate import critical_path, scheduled_span

    jobs = pd.DataFrame([("data", "a", [], 1.0), ("flow", "x", [], 5.0), ("flow", "y", [], 5.0),
                         ("train", "b", ["a"], 10.0)], columns=["stage", "key", "upstream", "seconds"])
    assert scheduled_span(jobs, 2) == 11.0
    assert scheduled_span(jobs, 1) == 21.0
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        keys = [f"k{i}" for i in range(n)]
        upstream = [[keys[j] for j in range(i) if rng.random() < 0.15] for i in range(n)]
        jobs = pd.DataFrame({"stage": "train", "key": keys, "upstream": upstream,
                             "seconds": rng.exponential(60.0, n).round(1)})
        path, total = critical_path(jobs)[0], jobs["seconds"].sum()
        for cores in (1, 2, 3):
            span = scheduled_span(jobs, cores)
            assert max(path, total / cores) - 1e-9 <= span <= total / cores + (1 - 1 / cores) * path + 1e-9
        assert scheduled_span(jobs, n) == pytest.approx(path)


def test_a_commit_is_marked_where_the_code_it_names_has_changed(tmp_path):
    """A stamp names HEAD, marked when the code under its paths differs: by default what a stage
    runs (a change under benchmarks/ does not count), for `make bench` the benchmarks too."""
    import subprocess

    from replication.docs.stamps import STAGE_CODE, UNCOMMITTED, commit

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    for path in ("src/model.py", "benchmarks/bench.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x = 1\n")
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "start")
    with_benchmarks = (*STAGE_CODE, "benchmarks")
    assert not commit(tmp_path).endswith(UNCOMMITTED) and not commit(tmp_path, with_benchmarks).endswith(UNCOMMITTED)
    (tmp_path / "benchmarks" / "bench.py").write_text("x = 2\n")
    assert not commit(tmp_path).endswith(UNCOMMITTED) and commit(tmp_path, with_benchmarks).endswith(UNCOMMITTED)
    (tmp_path / "src" / "model.py").write_text("x = 2\n")
    assert commit(tmp_path).endswith(UNCOMMITTED)


def _record_checksum(table: Path) -> None:
    """The table's sha256 in its directory's provenance.json, as the stage that wrote it records it."""
    from replication.store import sha256

    provenance = table.parent / "provenance.json"
    provenance.write_text(json.dumps({**json.loads(provenance.read_text()), "checksums": {table.name: sha256(table)}}))


def test_the_power_block_comes_from_the_run_s_lyapunov_maps_and_checks_them(tmp_path, monkeypatch):
    """docs/paper-config.md's power tables: every F4 row (and every F5 row, at fewer directions) of the
    run's Lyapunov maps, read only once their sha256 equals their provenance's (a damaged map stops
    it, naming the file)."""
    import pytest

    from replication.docs import generate
    from replication.store import DamagedInput
    from test_claims import lyapunov_table

    monkeypatch.setattr(generate, "POWER_REPLICATES", 5)
    results = tmp_path / "results"
    _finished_view(results, "big", {("claims", "c1", None): {"lyapunov_over": "l1"}, ("lyapunov_pl", "l1", None): {}})
    claims = results / "claims" / "c1" / "provenance.json"
    claims.write_text(json.dumps({**json.loads(claims.read_text()), "params": {
        "networks": {"over": {"overparametrized": True, "data": "clean"},
                     "conflicting": {"overparametrized": True, "data": "conflicting"}},
        "claims": {"control_fraction": 0.9, "rate_tolerance": 0.1}, "batch_size": 4}}))
    table = results / "lyapunov_pl" / "l1" / "lyapunov_pl.csv"
    lyapunov_table(failing_radius=1e-2, minima=2).to_csv(table, index=False)
    _record_checksum(table)
    block = generate.lyapunov_power(results / "current" / "big", results)
    assert "| id | verdict | 200 sequences: verdict; estimate | 100 sequences" in block
    for tag in ("over", "conflicting"):
        assert block.count(f"| `F4.lyapunov.{tag}.alpha=0.9,beta=0.9` |") == 2  # fewer sequences, fewer directions
    # Four random directions per minimum: half of them is the fewest a draw may leave.
    assert "with 1/2 of the run's 4 random directions around each minimum:" in block
    assert "| id | 2 directions |\n" in block and "| `F5.noise_bound.over` | 1.00 |" in block
    # A `make stability` run: a second root seed's claims read another map, which fails everywhere on
    # the overparametrized network. The block stays the root seed's, the run whose claims the view shows.
    _finished_view(results, "other", {("claims", "c2", None): {"lyapunov_over": "l2"},
                                      ("lyapunov_pl", "l2", None): {}, ("stability", "s", None): {"claims_0": "c1", "claims_1": "c2"}})
    other = results / "lyapunov_pl" / "l2" / "lyapunov_pl.csv"
    lyapunov_table(failing_radius=1e-4).to_csv(other, index=False)
    (results / "current" / "big" / "stability.csv").symlink_to("../../stability/s/claims.csv")
    assert generate.lyapunov_power(results / "current" / "big", results) == block
    # Once that run has finished, the table at fewer directions has a figure per root seed; the one at
    # fewer sequences stays the root seed's.
    stability = results / "stability" / "s"
    (stability / "claims.csv").write_text("id\n")
    run = json.loads((stability / "provenance.json").read_text())
    (stability / "provenance.json").write_text(json.dumps({**run, "params": {"root_seeds": [7, 8]}}))
    second = results / "claims" / "c2" / "provenance.json"
    second.write_text(json.dumps({**json.loads(second.read_text()), "params": json.loads(claims.read_text())["params"]}))
    _record_checksum(other)
    seeds = generate.lyapunov_power(results / "current" / "big", results)
    sequences = block[:block.index("Of 5 draws per cell")]
    assert seeds.startswith(sequences) and "of the run at root seeds 7 / 8, one figure per root seed" in seeds
    assert "| `F4.lyapunov.over.alpha=0.9,beta=0.9` | 1.00 / 1.00 |" in seeds
    (results / "current" / "big" / "stability.csv").unlink()
    # At 40 sequences only the half is shown: a quarter would be fewer than the estimator runs with.
    few = lyapunov_table(failing_radius=1e-2, minima=2).assign(derivative_n=40)
    few.to_csv(table, index=False)
    _record_checksum(table)
    assert "| id | verdict | 20 sequences: verdict; estimate |\n" in generate.lyapunov_power(results / "current" / "big",
                                                                                            results)
    lyapunov_table(failing_radius=1e-2, minima=2).to_csv(table, index=False)
    _record_checksum(table)
    table.write_text(table.read_text().replace("-1.0", "-2.0", 1))
    with pytest.raises(DamagedInput, match="lyapunov_pl.csv differs from the file its provenance.json recorded"):
        generate.lyapunov_power(results / "current" / "big", results)


def test_the_seed_power_block_comes_from_the_run_s_tables_and_checks_them(tmp_path, monkeypatch):
    """docs/paper-config.md's power tables at fewer seeds: every F7 row of the run's rates and every
    F2 row of its quadratic zeros and Adam limits, with 1/2 and 1/4 of their seeds, each table read
    only once its sha256 equals its provenance's."""
    import pytest

    from replication.docs import generate
    from replication.store import DamagedInput
    from test_claims import quadratic_tables, shift_table

    monkeypatch.setattr(generate, "POWER_REPLICATES", 5)
    results = tmp_path / "results"
    upstream = {"rates": "r1", "zeros": "z1", "adam": "a1"}
    _finished_view(results, "big", {("claims", "c1", None): upstream, ("quadratic_rates", "r1", None): {},
                                    ("quadratic_zeros", "z1", None): {}, ("quadratic_adam", "a1", None): {}})
    claims = results / "claims" / "c1" / "provenance.json"
    claims.write_text(json.dumps({**json.loads(claims.read_text()), "params": {"claims": {
        "constant_margin": 0.1, "rate_tolerance": 0.1, "equivalence_margin": 0.25}}}))
    zeros, limits = quadratic_tables(0.0)
    tables = {"quadratic_rates/r1/rates.csv": shift_table(), "quadratic_zeros/z1/zeros.csv": zeros,
              "quadratic_adam/a1/limits.csv": limits}
    for path, table in tables.items():
        table.to_csv(results / path, index=False)
        _record_checksum(results / path)
    block = generate.seed_power(results / "current" / "big", results)
    assert "each F7 verdict of the run [its Clopper-Pearson 95% interval], with 1/2 and 1/4 of the run's 8 seeds" in block
    assert "each F2 verdict of the run [its Clopper-Pearson 95% interval], with 1/2 and 1/4 of the run's 8 fields per " \
           "zero of f (and of its 16 Adam runs per law and beta)" in block
    assert block.count("| id | verdict | 4 seeds | 2 seeds |") == 2
    for row in ("F7.beta_constant.two_point[0].M=1", "F7.spread_rate.skewed", "F2.limit_is_zero.two_point[0].beta=0.9"):
        assert f"| `{row}` | supported | " in block
    assert generate.lyapunov_power(results / "current" / "big", results) is None  # a run without a Lyapunov map
    for path in tables:
        damaged = results / path
        original = damaged.read_bytes()
        damaged.write_text(damaged.read_text().replace("False", "True", 1))
        with pytest.raises(DamagedInput, match=f"{damaged.name} differs from the file its provenance.json recorded"):
            generate.seed_power(results / "current" / "big", results)
        damaged.write_bytes(original)
