"""The virtual board (tools/vboard): the MicroPython unix port in a pty that mpremote
drives like a real board."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.vboard import BoardError, VirtualBoard  # noqa: E402

SETUP = ROOT / "tools" / "setup-system.sh"


@pytest.fixture(scope="session", autouse=True)
def socat():
    """tools/setup-system.sh installs socat (CI runs as root); elsewhere skip, saying why."""
    if shutil.which("socat") is None:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.skip("socat is missing and this user cannot apt-get it: "
                        "run `sudo sh tools/setup-system.sh`")
        subprocess.run(["sh", str(SETUP)], check=True, timeout=600)
    return shutil.which("socat")


@pytest.fixture(scope="module")
def board():
    with VirtualBoard() as b:
        yield b


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_setup_system_is_idempotent():
    proc = subprocess.run(["sh", str(SETUP)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert shutil.which("socat")


def test_mpremote_exec_reaches_micropython(board):
    out = board.exec("import sys, os; print(sys.implementation.name, sys.implementation._mpy "
                     "& 0xff, os.getcwd()); print(sys.path)")
    name, mpy, cwd = out.splitlines()[0].split()
    assert (name, mpy, cwd) == ("micropython", "6", str(board.dir))
    assert str(board.dir / "lib") in out.splitlines()[1]


def test_fs_cp_lands_in_the_board_dir_and_lib_is_on_the_path(board, tmp_path):
    (tmp_path / "vbhello.py").write_text("WORD = 'hi from lib'\n")
    board.mpremote("fs", "cp", str(tmp_path / "vbhello.py"), ":lib/vbhello.py")
    assert (board.dir / "lib" / "vbhello.py").read_text() == "WORD = 'hi from lib'\n"
    assert board.exec("import vbhello; print(vbhello.WORD)").strip() == "hi from lib"
    assert "vbhello.py" in board.mpremote("fs", "ls", ":lib").stdout


def test_run_a_local_script_on_the_board(board, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import os\nprint('ran in', os.getcwd())\n")
    assert board.mpremote("run", str(script)).stdout.strip() == "ran in %s" % board.dir


def test_the_board_survives_many_commands_and_keeps_its_state(board):
    board.exec("vb_counter = 0")
    for _ in range(5):
        board.exec("vb_counter += 1")
    assert board.exec("print(vb_counter)").strip() == "5"


def test_an_error_on_the_board_is_an_mpremote_failure(board):
    proc = board.mpremote("exec", "raise ValueError('boom')", check=False)
    assert proc.returncode != 0 and "ValueError: boom" in proc.stdout + proc.stderr
    with pytest.raises(BoardError, match="boom"):
        board.exec("raise ValueError('boom')")


def test_heapsize_is_the_vms_heap():
    with VirtualBoard(heapsize=64 * 1024) as b:
        total = int(b.exec("import gc; gc.collect(); print(gc.mem_alloc() + gc.mem_free())"))
    assert 60 * 1024 <= total <= 64 * 1024


def test_stop_ends_socat_and_the_vm_and_removes_the_files():
    b = VirtualBoard()
    b.start()
    pids, port, d = b.pids(), b.port, b.dir
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    b.stop()
    assert not any(_alive(p) for p in pids)
    assert not os.path.exists(port) and not d.exists()


def test_a_soft_reset_ends_the_unix_port(board):
    """Why every command needs `resume`: mpremote's soft reset (Ctrl-D in the raw REPL)
    ends the unix port, which has no soft reset."""
    with VirtualBoard() as b:
        vm = b.pids()[1]
        subprocess.run([str(ROOT / ".venv" / "bin" / "mpremote"), "connect", b.port, "exec",
                        "print(1)"], capture_output=True, timeout=60)
        b.proc.wait(10)
        assert not _alive(vm)


def test_cli_prints_the_port_and_stops_on_ctrl_c(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "tools.vboard", "--dir", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().split()[1]
        assert proc.stdout.readline().split()[1] == str(tmp_path)
        out = subprocess.run([str(ROOT / ".venv" / "bin" / "mpremote"), "connect", port,
                              "resume", "exec", "print(6 * 7)"],
                             capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "42"
        with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
            socat_pid = int(f.read().split()[0])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert socat_pid and not _alive(socat_pid)
    assert not os.path.exists(port)
    assert tmp_path.exists()  # a --dir given is the user's: kept


def test_missing_micropython_is_a_clear_error_and_leaves_nothing(tmp_path):
    board = VirtualBoard(micropython=tmp_path / "nope")
    with pytest.raises(BoardError, match="no MicroPython unix port"):
        board.start()
    assert not board.dir.exists()
