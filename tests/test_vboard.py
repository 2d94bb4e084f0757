"""The virtual board (tools/vboard): the MicroPython unix port behind a pty that plain
mpremote drives like a real board (no `resume` needed), with no Debian package."""

import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.vboard import MICROPYTHON, PICO_W_FLASH, BoardError, VirtualBoard  # noqa: E402

MPREMOTE = str(Path(sys.executable).parent / "mpremote")


@pytest.fixture(scope="module")
def board():
    with VirtualBoard() as b:
        yield b


def mpremote(board, *args, check=True):
    """Plain `mpremote connect PORT ARGS…`, as a user types it."""
    proc = subprocess.run([MPREMOTE, "connect", board.port, *args], capture_output=True,
                          text=True, timeout=60)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_plain_exec_reaches_micropython_with_a_boards_filesystem(board):
    out = mpremote(board, "exec", "import sys, os; print(sys.implementation.name, "
                   "sys.implementation._mpy & 0xff, os.getcwd()); print(sys.path)").stdout
    assert out.splitlines() == ["micropython 6 /", "['', '.frozen', '/lib']"]


def test_flash_is_a_boards_not_the_host_disk(board):
    out = mpremote(board, "exec", "import os; print(os.statvfs('/'))").stdout
    block, _, total, free = eval(out)[:4]
    assert block * total == PICO_W_FLASH and 0 < free < total
    (board.dir / "big.bin").write_bytes(b"x" * 40960)
    after = eval(mpremote(board, "exec", "import os; print(os.statvfs('/'))").stdout)[3]
    (board.dir / "big.bin").unlink()
    assert after == free - 11  # ten blocks of data and one of metadata
    assert "/" in mpremote(board, "df").stdout


def test_cp_files_to_the_root_and_to_lib(board, tmp_path):
    for name, text in (("vb_a.py", "A = 1\n"), ("vb_b.py", "B = 2\n"), ("vblib.py", "L = 3\n")):
        (tmp_path / name).write_text(text)
    mpremote(board, "fs", "cp", str(tmp_path / "vb_a.py"), str(tmp_path / "vb_b.py"), ":")
    mpremote(board, "fs", "cp", str(tmp_path / "vblib.py"), ":/lib/")
    assert (board.dir / "vb_a.py").read_text() == "A = 1\n"
    assert (board.dir / "vb_b.py").read_text() == "B = 2\n"
    assert (board.dir / "lib" / "vblib.py").read_text() == "L = 3\n"
    assert mpremote(board, "exec", "import vb_a, vb_b, vblib; print(vb_a.A + vb_b.B + "
                    "vblib.L)").stdout.strip() == "6"
    listing = mpremote(board, "fs", "ls", ":").stdout
    assert "vb_a.py" in listing and "lib/" in listing


def test_run_a_local_script(board, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import os\nprint('ran in', os.getcwd())\n")
    assert mpremote(board, "run", str(script)).stdout.strip() == "ran in /"


def test_each_plain_command_reboots_with_a_clean_module_state(board, tmp_path):
    (board.dir / "vb_counter.py").write_text("N = [0]\n")
    mpremote(board, "exec", "import vb_counter; vb_counter.N[0] += 1; x = 5")
    out = mpremote(board, "exec", "import sys, vb_counter; print(vb_counter.N[0], "
                   "'x' in globals(), 'vb_counter' in sys.modules)").stdout.split()
    assert out == ["0", "False", "True"]  # imported afresh: the first import is gone


def test_resume_keeps_the_state_between_commands(board):
    before = board.reboots
    board.mpremote("exec", "vb_kept = 0")
    for _ in range(3):
        board.mpremote("exec", "vb_kept += 1")
    assert board.mpremote("exec", "print(vb_kept)").stdout.strip() == "3"
    assert board.reboots == before


# a plain mpremote soft-reboots the board first; `reset` then resets it (machine.reset())
@pytest.mark.parametrize("how, restarts", [(["soft-reset"], 1), (["reset"], 2)])
def test_soft_reset_and_reset_restart_the_vm_and_the_board_stays(board, how, restarts):
    board.mpremote("exec", "vb_state = 1")
    vm, reboots = board.pids()[0], board.reboots
    mpremote(board, *how)
    deadline = time.monotonic() + 10  # `reset` returns before the board resets (100 ms)
    while board.reboots < reboots + restarts and time.monotonic() < deadline:
        time.sleep(0.02)
    assert board.reboots == reboots + restarts
    out = board.mpremote("exec", "print('vb_state' in globals())").stdout.strip()
    assert out == "False"
    assert not _alive(vm) and board.pids() and board.pids()[0] != vm


def test_ctrl_d_in_the_friendly_repl_is_a_soft_reboot(board):
    fd = os.open(board.port, os.O_RDWR | os.O_NOCTTY)
    try:
        # Ctrl-C, Ctrl-B: the friendly REPL. The port may still hold what the board said
        # after the last mpremote left (its banner, prompts): read up to the answer to a
        # line whose output only the board's REPL can print.
        os.write(fd, b"\x03\x02print('vb' + 'ready')\r")
        _read_until(fd, b">>> ", after=b"vbready")
        os.write(fd, b"\x04")
        seen = _read_until(fd, b">>> ")
    finally:
        os.close(fd)
    assert b"MPY: soft reboot\r\nMicroPython" in seen, seen
    assert board.exec("print(1)").strip() == "1"


def test_what_is_typed_while_the_board_resets_reaches_the_new_vm(board):
    """The VM stops reading input as it resets: what it never read waits for the next
    VM, as a board's UART holds it (mpremote's next command right after `reset`)."""
    fd = os.open(board.port, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, b"\r\x03\r\x01")
        _read_until(fd, b"raw REPL; CTRL-B to exit\r\n>")
        reboots = board.reboots
        os.write(fd, b"import time, machine; time.sleep_ms(500); machine.reset()\x04")
        _read_until(fd, b"OK")
        os.write(fd, b"print('vb' + 'typed')\r")  # while it sleeps: never read by this VM
        _read_until(fd, b">>> ", after=b"vbtyped")
    finally:
        os.close(fd)
    assert board.reboots == reboots + 1


def _read_until(fd, end, after=b"", timeout=15):
    """-> what the port said up to `end`, once it has said `after`."""
    import select

    seen = b""
    while not (seen.endswith(end) and after in seen):
        if not select.select([fd], [], [], timeout)[0]:
            raise AssertionError("no %r in %r" % (end, seen))
        seen += os.read(fd, 4096)
    return seen


def test_board_modules_and_a_plausible_temperature_after_a_plain_boot(board):
    out = mpremote(board, "exec", "import machine, network\n"
                   "v = machine.ADC(4).read_u16() * 3.3 / 65535\n"
                   "print(round(27 - (v - 0.706) / 0.001721))\n"
                   "print(network.WLAN(network.STA_IF).active())").stdout.split()
    assert out == ["22", "False"]
    assert not (board.dir / "lib" / "machine.py").exists()


def test_mip_install_from_a_package_json(board):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(ROOT / "device"))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/package.json" % server.server_address[1]
        proc = mpremote(board, "mip", "install", url)
    finally:
        server.shutdown()
        server.server_close()
    assert "Installing" in proc.stdout
    assert (board.dir / "lib" / "utwilio" / "__init__.py").exists()
    assert mpremote(board, "exec", "import utwilio; print(utwilio.Twilio.__name__)"
                    ).stdout.strip() == "Twilio"


def test_boot_py_and_main_py_run_at_power_on(tmp_path):
    (tmp_path / "boot.py").write_text("BOOTED = True\n")
    (tmp_path / "main.py").write_text("open('main-ran', 'w').write('yes')\n")
    with VirtualBoard(dir=tmp_path) as b:
        assert b.exec("print(BOOTED)").strip() == "True"
        assert (tmp_path / "main-ran").read_text() == "yes"


def test_an_error_on_the_board_is_an_mpremote_failure(board):
    proc = mpremote(board, "exec", "raise ValueError('boom')", check=False)
    assert proc.returncode != 0 and "ValueError: boom" in proc.stdout + proc.stderr
    with pytest.raises(BoardError, match="boom"):
        board.exec("raise ValueError('boom')")


def test_heapsize_is_the_vms_heap():
    with VirtualBoard(heapsize=64 * 1024) as b:
        total = int(b.exec("import gc; gc.collect(); print(gc.mem_alloc() + gc.mem_free())"))
    assert 60 * 1024 <= total <= 64 * 1024


def test_stop_ends_the_vm_and_removes_the_files():
    b = VirtualBoard()
    b.start()
    pids, port, d = b.pids(), b.port, b.dir
    assert len(pids) == 1 and _alive(pids[0])
    b.stop()
    assert not _alive(pids[0])
    assert not os.path.exists(port) and not d.exists()


def test_a_board_that_cannot_restart_says_why(tmp_path):
    """The VM starts once, then fails: the board is dead and says so, to mpremote too."""
    broken = tmp_path / "broken"
    vm = tmp_path / "micropython"
    vm.write_text("#!/bin/sh\nif [ -e %s ]; then echo 'flash chip not found' >&2; exit 7; fi\n"
                  "exec %s \"$@\"\n" % (broken, MICROPYTHON))
    vm.chmod(0o755)
    deaths = []
    with VirtualBoard(micropython=vm, on_death=deaths.append) as b:
        broken.touch()
        proc = mpremote(b, "soft-reset", check=False)
        assert b.error and "exited with status 7" in b.error
        assert "flash chip not found" in b.error
        assert deaths == [b.error]
        proc = mpremote(b, "exec", "print(1)", check=False)
        assert proc.returncode != 0 and "the virtual board is dead" in proc.stdout + proc.stderr


def test_cli_prints_the_port_and_stops_on_ctrl_c(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "tools.vboard", "--dir", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = proc.stdout.readline().split()[1]
        assert proc.stdout.readline().split()[1] == str(tmp_path)
        out = subprocess.run([MPREMOTE, "connect", port, "exec", "print(6 * 7)"],
                             capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "42"
        vm_pid = int(" ".join(Path(t, "children").read_text()
                              for t in Path("/proc/%d/task" % proc.pid).iterdir()).split()[0])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert vm_pid and not _alive(vm_pid)
    assert not os.path.exists(port)
    assert tmp_path.exists()  # a --dir given is the user's: kept


def test_missing_micropython_is_a_clear_error_and_leaves_nothing(tmp_path):
    board = VirtualBoard(micropython=tmp_path / "nope")
    with pytest.raises(BoardError, match="no MicroPython unix port"):
        board.start()
    assert not board.dir.exists()


def test_mpremote_interrupts_a_running_main_py_and_mounts_a_host_dir(tmp_path):
    (tmp_path / "board").mkdir()
    (tmp_path / "board" / "main.py").write_text("import time\nwhile True:\n"
                                                "    time.sleep_ms(10)\n")
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "vb_mounted.py").write_text("print('from the host')\n")
    with VirtualBoard(dir=tmp_path / "board") as b:  # main.py runs from power-on
        assert mpremote(b, "exec", "print('interrupted')").stdout.strip() == "interrupted"
        out = mpremote(b, "mount", str(tmp_path / "host"), "exec", "import vb_mounted").stdout
        assert out.splitlines()[-1] == "from the host"


def test_a_vm_killed_under_the_board_is_said_and_the_board_restarts(board, capfd):
    vm = board.pids()[0]
    os.kill(vm, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while (not board.pids() or board.pids()[0] == vm) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "the MicroPython VM was killed by signal 9 (SIGKILL); the board restarts" in \
        capfd.readouterr().err
    assert mpremote(board, "exec", "print(7)").stdout.strip() == "7"
