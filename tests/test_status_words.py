"""What the light, the console and the log say about the printer and the presses: a stall is
"not taking data", never paper-out; a fault stays until a receipt prints; a flood of presses
is counted, not logged press by press."""
import logging
import os
import threading
import time
import tty

from device.config import PrinterConfig
from device.printer import open_printer


def test_a_stall_is_an_error_and_only_the_printer_says_paper_out(make_daemon):
    d, _ = make_daemon()
    d.printer.stalled = True
    d.pipeline.run(d.voice)
    assert "not taking data" in d.spool.fault and "paper" not in d.spool.fault
    assert d.controls.status == "error"
    d.printer.stalled, d.printer.paper_out = False, True
    d.spool.ready()
    assert d.controls.status == "paper-out"


def test_the_fault_stays_until_a_receipt_prints(make_daemon):
    """A write-only printer that opens fine but takes no data: between two tries the console
    and the light must not go back to "ready"."""
    d, _ = make_daemon()
    d.printer.stalled = True
    d.pipeline.run(d.voice)
    fault = d.spool.fault
    for _ in range(3):                                     # the spool's retries
        d.spool.pump()
        assert d.spool.fault == fault and d.controls.status == "error"
    d.printer.stalled = False
    assert d.spool.pump() == 1 and d.spool.fault == "" and d.controls.status == "idle"


def test_a_flood_of_presses_logs_a_line_a_second_at_most(make_daemon, caplog):
    from device.camera import SimCamera
    camera = SimCamera()
    camera.gate = threading.Event()
    d, _ = make_daemon(camera=camera)
    with caplog.at_level(logging.INFO, logger="device.daemon"):
        d.on_press(), d.on_press()                          # one runs (when started), one waits
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.5:
            assert d.on_press() is False
    notes = [r for r in caplog.records if "press ignored" in r.getMessage()]
    assert len(notes) == 1 and d.dropped > 100


def test_status_queries_do_not_wait_for_a_whole_read_timeout():
    """A printer answering DLE EOT at once: python-escpos reads 16 bytes with a 1 s timeout,
    so each answer of one byte used to cost the full second (2.4 s before each job)."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    stop = threading.Event()

    def answer():   # a printer: online, paper present
        while not stop.is_set():
            try:
                if os.read(master, 3)[:2] == b"\x10\x04":
                    os.write(master, b"\x12")
            except OSError:
                return
    threading.Thread(target=answer, daemon=True).start()
    try:
        printer = open_printer(PrinterConfig(backend="serial", device=os.ttyname(slave), query_status=True))
        assert printer.status() == (True, "")
        assert printer._dev.device.timeout <= 0.1         # the answer waits a tenth, not a second
        assert printer._dev.device.inter_byte_timeout      # and returns once the answer has come
        printer.close()
    finally:
        stop.set()
        os.close(master)
        os.close(slave)
