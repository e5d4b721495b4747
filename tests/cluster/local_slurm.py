"""A real single-node SLURM on localhost, for the cluster tests.

munged, (for ``sacct``) MariaDB and slurmdbd, slurmctld and slurmd run as root from a fresh
state directory, on free TCP ports, so the machine's own services and files are never touched.
``stop`` ends exactly the daemons ``start`` started, by the PIDs it recorded.

    python tests/cluster/local_slurm.py start STATE_DIR [--no-accounting]
    export SLURM_CONF=STATE_DIR/slurm.conf      # for sbatch, squeue, sacct, snakemake
    python tests/cluster/local_slurm.py stop STATE_DIR

Missing Debian packages are installed with apt-get when running as root.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

PACKAGES = {  # program -> Debian package
    "munged": "munge",
    "slurmctld": "slurmctld",
    "slurmd": "slurmd",
    "sbatch": "slurm-client",
    "slurmdbd": "slurmdbd",
    "mariadbd": "mariadb-server",
}
DB_PASSWORD = "slurm-test"
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")


class Unavailable(RuntimeError):
    """SLURM cannot be installed here (not root, no apt-get)."""


def install() -> None:
    """Install the Debian packages of every missing program (after ``install_in_background``'s
    install, if one was started)."""
    if _installing is not None:
        _installing.result()
    missing = _missing()
    if not missing:
        return
    if not _can_install():
        raise Unavailable(f"SLURM is not installed ({', '.join(missing)} missing) and this machine "
                          "cannot install it (needs root and apt-get)")
    _apt_get_install(missing)


def install_in_background() -> None:
    """Start installing the missing packages in a thread, where that is possible, so that they
    arrive while other tests run; ``install`` waits for it."""
    global _installing
    if _installing is None and _missing() and _can_install():
        _installing = ThreadPoolExecutor(1).submit(_apt_get_install, _missing())


_installing: Future | None = None


def _missing() -> list[str]:
    return sorted({pkg for prog, pkg in PACKAGES.items() if not _which(prog)})


def _can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt_get_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
                   check=True, env=env, capture_output=True)


def _which(program: str) -> str | None:
    return shutil.which(program, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, ready, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} while starting")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s")


def _answers(*command: str, expect: str = "", env=None) -> bool:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    return result.returncode == 0 and expect in result.stdout


class LocalSlurm:
    """One node (this host) with every CPU, one partition ``test``."""

    def __init__(self, state: Path | str, accounting: bool = True):
        self.state = Path(state).resolve()
        self.accounting = accounting
        self.conf = self.state / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.pids: dict[str, int] = {}
        self._procs: dict[str, subprocess.Popen] = {}

    # -- start ---------------------------------------------------------------------------------
    def start(self) -> "LocalSlurm":
        install()
        for sub in ("log", "run", "spool/ctld", "spool/d", "munge"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        try:
            self._munge()
            self.dbd_port = _free_port()
            self._slurm_conf()  # sacctmgr reads it while slurmdbd starts
            self._link_system_conf()
            if self.accounting:
                self._mariadb()
                self._slurmdbd()
            self._daemon("slurmctld", ["slurmctld", "-D", "-f", str(self.conf)])
            _wait("slurmctld", lambda: _answers("scontrol", "ping", expect="UP", env=self.env),
                  process=self._procs["slurmctld"])
            self._daemon("slurmd", ["slurmd", "-D", "-f", str(self.conf), "-N", self.node])
            _wait("slurmd", lambda: _answers("sinfo", "-h", "-o", "%T", expect="idle", env=self.env),
                  process=self._procs["slurmd"])
        except RuntimeError as error:
            self.stop()
            raise RuntimeError(f"{error} (daemon logs: {self.state / 'log'})") from error
        except BaseException:
            self.stop()
            raise
        return self

    def _daemon(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.state / "log" / f"{name}.out", "ab")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                   start_new_session=True)
        self._procs[name] = process
        self.pids[name] = process.pid
        (self.state / "pids.json").write_text(json.dumps(self.pids))
        return process

    def _munge(self) -> None:
        key, self.munge_socket = self.state / "munge" / "munge.key", self.state / "munge" / "socket"
        subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True, capture_output=True)
        process = self._daemon("munged", [
            "munged", "--foreground", "--force", f"--key-file={key}", f"--socket={self.munge_socket}",
            f"--pid-file={self.state / 'run' / 'munged.pid'}", f"--log-file={self.state / 'log' / 'munged.log'}",
            f"--seed-file={self.state / 'munge' / 'seed'}"])
        _wait("munged", lambda: _answers("munge", "-n", f"--socket={self.munge_socket}"), process=process)

    def _mariadb(self) -> None:
        data, self.db_socket = self.state / "mysql", self.state / "run" / "mysqld.sock"
        self.db_port = _free_port()
        subprocess.run(["mariadb-install-db", f"--datadir={data}", "--user=root", "--skip-test-db",
                        "--auth-root-authentication-method=socket"], check=True, capture_output=True)
        process = self._daemon("mariadbd", [
            "mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={self.db_socket}",
            f"--port={self.db_port}", "--bind-address=127.0.0.1", "--user=root",
            f"--pid-file={self.state / 'run' / 'mariadbd.pid'}", f"--log-error={self.state / 'log' / 'mariadbd.log'}"])
        sql = ["mariadb", "--no-defaults", f"--socket={self.db_socket}", "-u", "root"]
        _wait("mariadbd", lambda: _answers(*sql, "-e", "SELECT 1"), process=process)
        subprocess.run(sql + ["-e", "CREATE DATABASE slurm_acct_db; "
                              f"CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '{DB_PASSWORD}'; "
                              "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"],
                       check=True, capture_output=True)

    def _slurmdbd(self) -> None:
        conf = self.state / "slurmdbd.conf"
        conf.write_text("\n".join([
            "AuthType=auth/munge", f"AuthInfo=socket={self.munge_socket}",
            "DbdHost=localhost", "DbdAddr=127.0.0.1", f"DbdPort={self.dbd_port}", "SlurmUser=root",
            f"LogFile={self.state / 'log' / 'slurmdbd.log'}", f"PidFile={self.state / 'run' / 'slurmdbd.pid'}",
            "StorageType=accounting_storage/mysql", "StorageHost=127.0.0.1", f"StoragePort={self.db_port}",
            "StorageUser=slurm", f"StoragePass={DB_PASSWORD}", "StorageLoc=slurm_acct_db", ""]))
        conf.chmod(0o600)
        # slurmdbd finds slurmdbd.conf beside the SLURM_CONF it is given.
        process = self._daemon("slurmdbd", ["slurmdbd", "-D"])
        _wait("slurmdbd", lambda: _answers("sacctmgr", "-n", "list", "cluster", env=self.env), process=process)

    @property
    def node(self) -> str:
        return socket.gethostname().split(".")[0]

    def _slurm_conf(self) -> None:
        memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
        if self.accounting:
            accounting = ["AccountingStorageType=accounting_storage/slurmdbd",
                          "AccountingStorageHost=localhost", f"AccountingStoragePort={self.dbd_port}",
                          f"AccountingStoragePass={self.munge_socket}",  # the munge socket, for dbd connections
                          "JobAcctGatherType=jobacct_gather/linux", "JobAcctGatherFrequency=5"]
        else:
            accounting = ["AccountingStorageType=accounting_storage/none", "JobAcctGatherType=jobacct_gather/none"]
        spool = self.state / "spool"
        self.conf.write_text("\n".join([
            "ClusterName=localtest", f"SlurmctldHost={self.node}(127.0.0.1)",
            f"SlurmctldPort={_free_port()}", f"SlurmdPort={_free_port()}",
            "SlurmUser=root", "SlurmdUser=root", "AuthType=auth/munge", f"AuthInfo=socket={self.munge_socket}",
            "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
            "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core_Memory",
            "ReturnToService=2", "MinJobAge=300", "KillWait=5",
            f"StateSaveLocation={spool / 'ctld'}", f"SlurmdSpoolDir={spool / 'd'}",
            f"SlurmctldPidFile={self.state / 'run' / 'slurmctld.pid'}",
            f"SlurmdPidFile={self.state / 'run' / 'slurmd.pid'}",
            f"SlurmctldLogFile={self.state / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={self.state / 'log' / 'slurmd.log'}",
            *accounting,
            f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={int(memory_mb * 0.9)} State=UNKNOWN",
            f"PartitionName=test Nodes={self.node} Default=YES MaxTime=INFINITE State=UP", ""]))

    def _link_system_conf(self) -> None:
        """Point /etc/slurm/slurm.conf at this cluster's file: the executor plugin's job steps drop
        SLURM_CONF from their environment, so srun inside a job finds the config only there."""
        if SYSTEM_CONF.is_symlink() and not SYSTEM_CONF.exists():
            SYSTEM_CONF.unlink()  # left by a test cluster whose state directory is gone
        if SYSTEM_CONF.is_symlink():
            raise Unavailable(f"{SYSTEM_CONF} points at another test cluster ({os.readlink(SYSTEM_CONF)}): "
                              "stop it first (local_slurm.py stop DIR)")
        if SYSTEM_CONF.exists():
            raise Unavailable(f"{SYSTEM_CONF} already exists (a real SLURM installation?): not replacing it")
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SYSTEM_CONF.symlink_to(self.conf)

    # -- stop ----------------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel every job, then end the daemons this cluster started, newest first."""
        if "slurmctld" in self.pids:
            subprocess.run(["scancel", "--full", "--user", "root"], env=self.env, capture_output=True)
        for name in reversed(list(self.pids)):
            _terminate(self.pids[name])
        self.pids = {}
        if SYSTEM_CONF.is_symlink() and Path(os.readlink(SYSTEM_CONF)) == self.conf:
            SYSTEM_CONF.unlink()
        (self.state / "pids.json").unlink(missing_ok=True)


def _terminate(pid: int, timeout: float = 15) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child (CLI stop): poll for its exit instead
            done = 0 if _alive(pid) else pid
        if done:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("state", type=Path, help="state directory (created by start)")
    parser.add_argument("--no-accounting", action="store_true", help="no MariaDB/slurmdbd: sacct is off")
    args = parser.parse_args(argv)
    if args.action == "start":
        cluster = LocalSlurm(args.state, accounting=not args.no_accounting).start()
        print(f"export SLURM_CONF={cluster.conf}")
    else:
        pids = args.state / "pids.json"
        if not pids.exists():
            sys.exit(f"no cluster started from {args.state} (no pids.json)")
        cluster = LocalSlurm(args.state)
        cluster.pids = json.loads(pids.read_text())
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
