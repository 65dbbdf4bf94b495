"""Receipts as real ESC/POS bytes from python-escpos, decoded back; printers over real I/O."""
import dataclasses
import os
import time
import threading
import tty

import numpy as np
import pytest
from escpos.printer import Dummy
from PIL import Image

from device.camera import generated_scene
from device.config import PrinterConfig
from device.printer.preview import DecodeError, decode, render
from device.printer import PrinterError, SimPrinter, open_printer
from device.receipt import Paper, ascii_art, dithered, receipt_body, receipt_head, wrap


def test_decoder_reads_text_styles_feeds_and_cut():
    p = Dummy(profile="TM-T20II")
    p.set(bold=True, align="center", double_height=True)
    p.text("Title\n")
    p.set_with_default()
    p.text("plain\n")
    p.ln(2)
    p.cut()
    doc = decode(p.output)
    texts = [op for op in doc.ops if op[0] == "text"]
    assert [t[1] for t in texts] == ["Title", "plain"]
    assert texts[0][2].bold and texts[0][2].height == 2 and texts[0][2].align == 1
    assert not texts[1][2].bold and texts[1][2].align == 0
    assert doc.cuts == 1 and "Title\nplain\n" in doc.text


def test_decoder_recovers_a_raster_bit_for_bit():
    rng = np.random.default_rng(0)
    bits = rng.random((40, 64)) > 0.5
    img = Image.fromarray(np.where(bits, 0, 255).astype(np.uint8)).convert("1")
    p = Dummy(profile="POS-5890")
    p.image(img, impl="bitImageRaster")
    (raster,) = decode(p.output).rasters
    assert raster.shape == (40, 64) and (raster == bits).all()


@pytest.mark.parametrize("data,msg", [(b"\x1b\x99", "unknown command"), (b"\x1dv0\x00\x10\x00\x10\x00\xff", "cut short"),
                                      (b"ok\x07", "control byte")])
def test_decoder_fails_loudly_on_what_it_does_not_know(data, msg):
    with pytest.raises(DecodeError, match=msg):
        decode(data)


def test_wrap_keeps_lines_within_the_columns():
    text = "A line that is far too long for a narrow receipt of thirty-two columns\n  indented short\n\nend"
    out = wrap(text, 32)
    assert all(len(line) <= 32 for line in out.splitlines())
    assert "\n\n" in out and out.split() == text.split()


def test_ascii_art_fits_the_paper():
    art = ascii_art(generated_scene(0), 32)
    lines = art.splitlines()
    assert all(len(line) == 32 for line in lines) and 5 < len(lines) < 20


def test_dithered_photo_is_one_bit_at_paper_width():
    im = dithered(generated_scene(1), 384)
    assert im.mode == "1" and im.width == 384


@pytest.mark.parametrize("paper", [Paper(384, "POS-5890", cutter=False, photo="raster"),
                                   Paper(576, "TM-T20II", cutter=True, photo="ascii")])
def test_receipt_bytes_decode_to_what_was_laid_out(paper):
    head = receipt_head(paper, "2026-11-22 10:00", "Gallery", generated_scene(2), "a red object on a grey wall")
    body = receipt_body(paper, ["The moon\nover the sea", "The moon again"], "poetry", "job-7")
    doc = decode(head + body)
    assert "Gallery" in doc.text and "over the sea" in doc.text and "job-7" in doc.text
    assert "a red object" not in doc.text                     # no title: each stanza begins with the caption
    titled = decode(receipt_head(dataclasses.replace(paper, title=True), "now", "", generated_scene(2), "a red object"))
    assert "a red object" in titled.text
    assert doc.cuts == (1 if paper.cutter else 0)
    if paper.photo == "raster":
        assert doc.rasters and doc.rasters[0].shape[1] == paper.dots
    else:
        assert not doc.rasters and "@" in doc.text
    png = render(doc, paper.dots)
    assert png.width == paper.dots and png.height > 200


def test_sim_printer_keeps_bytes_and_a_preview(tmp_path):
    sim = SimPrinter(tmp_path, 384, echo=False)
    sim.begin("job-1")
    data = receipt_head(Paper(), "now", "", None, "caption") + receipt_body(Paper(), ["poem"], "v", "job-1")
    sim.send(data[:10])
    sim.send(data[10:])
    out = sim.end()
    assert open(out["bin"], "rb").read() == data
    assert Image.open(out["png"]).width == 384
    assert sim.first_byte_at <= sim.last_byte_at


def test_file_printer_writes_exact_bytes_in_chunks(tmp_path):
    node = tmp_path / "lp0"
    node.write_bytes(b"")
    cfg = PrinterConfig(backend="file", device=str(node), chunk_size=100, chunk_pause_s=0.0)
    printer = open_printer(cfg)
    data = receipt_head(Paper(), "now", "", generated_scene(0), "c")
    printer.begin("j")
    printer.send(data)
    printer.close()
    assert node.read_bytes() == data
    assert printer.status()[0]


def test_serial_printer_over_a_real_pty():
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    received = bytearray()
    data = receipt_head(Paper(title=True), "now", "", generated_scene(3), "over serial")

    def reader():
        while len(received) < len(data):
            received.extend(os.read(master, 4096))
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    cfg = PrinterConfig(backend="serial", device=os.ttyname(slave), baudrate=115200, chunk_size=512, chunk_pause_s=0.001)
    printer = open_printer(cfg)
    printer.begin("j")
    printer.send(data)
    t.join(timeout=10)
    printer.close()
    os.close(master)
    os.close(slave)
    assert bytes(received) == data
    assert "over serial" in decode(bytes(received)).text


def test_missing_printer_is_a_clear_error(tmp_path):
    printer = open_printer(PrinterConfig(backend="serial", device=str(tmp_path / "ttyUSB9")))
    with pytest.raises(PrinterError, match="ttyUSB9.*plugged in"):
        printer.send(b"x")
    ok, why = open_printer(PrinterConfig(backend="file", device=str(tmp_path / "lp9"))).status()
    assert not ok and "lp9" in why


def test_a_printer_that_never_answers_status_queries_still_prints():
    """Cheap printers are often write-only: with query_status off (the default) the spool must
    not wait forever for an answer; with it on, silence reads as offline."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    try:
        quiet = open_printer(PrinterConfig(backend="serial", device=os.ttyname(slave)))
        assert quiet.status() == (True, "")
        quiet.close()
        asking = open_printer(PrinterConfig(backend="serial", device=os.ttyname(slave), query_status=True))
        ok, why = asking.status()
        asking.close()
        assert not ok and "does not answer" in why
    finally:
        os.close(master)
        os.close(slave)


def test_twenty_unplugs_leak_no_file_handles():
    """Unplugging a serial printer makes every write and the close itself fail; the device and
    pyserial's pipes must still be closed each time."""
    printer = open_printer(PrinterConfig(backend="serial", baudrate=115200, chunk_pause_s=0))

    def open_fds():
        return len(os.listdir("/proc/self/fd"))
    before = None
    for cycle in range(20):
        master, slave = os.openpty()
        tty.setraw(master)
        printer.cfg.device = os.ttyname(slave)
        printer.begin(f"job{cycle}")
        printer.send(b"hello\n")
        os.close(slave)
        os.close(master)                    # the cable is pulled
        with pytest.raises(PrinterError, match="failed mid-receipt"):
            printer.send(b"x" * 5000)
        printer.close()
        if cycle == 1:
            before = open_fds()
    assert open_fds() == before


def test_a_stalled_printer_is_not_taking_data_within_seconds(monkeypatch):
    """A printer that stops reading (paper jam, flow control held): writes time out instead of
    hanging, and a receipt left in the buffer is not 'printed'."""
    import device.printer.serial_link as printer_module
    monkeypatch.setattr(printer_module, "STALL_S", 1.0)
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    try:
        printer = open_printer(PrinterConfig(backend="serial", device=os.ttyname(slave), baudrate=115200,
                                              chunk_pause_s=0))
        t0 = time.monotonic()
        printer.begin("big")
        with pytest.raises(PrinterError, match="not taking data"):
            printer.send(b"\x00" * 2_000_000)         # more than any tty buffer holds
        assert time.monotonic() - t0 < 10
        printer.close()
    finally:
        os.close(master)
        os.close(slave)


def test_bytes_left_in_a_uart_buffer_are_not_printed(monkeypatch):
    """A pty has no output queue, so this stands in for a USB-serial adapter whose buffer the
    printer stopped draining: end() waits for it to empty, then says the printer is stuck."""
    import device.printer.serial_link as printer_module
    monkeypatch.setattr(printer_module, "STALL_S", 0.3)

    class Stuck:
        is_open, out_waiting = True, 37

        def close(self):
            self.is_open = False

        def reset_output_buffer(self):   # what was queued is dropped, never printed later
            self.out_waiting = 0

    class Dev:
        _device = Stuck()

        def close(self):
            raise OSError("flush failed")
    printer = open_printer(PrinterConfig(backend="serial", baudrate=115200, chunk_size=256))
    printer._dev = Dev()
    stuck = Dev._device
    with pytest.raises(PrinterError, match="still in the buffer"):
        printer.end()
    assert printer._dev is None and stuck.out_waiting == 0   # dropped: the reprint sends it again


def test_a_slowly_draining_uart_buffer_is_not_a_stall(monkeypatch):
    """A slow printer empties the port's queue slowly but steadily: end() waits as long as the
    queue keeps shrinking, however long that takes in all (progress, not a fixed timeout)."""
    import device.printer.serial_link as printer_module
    monkeypatch.setattr(printer_module, "STALL_S", 0.3)

    class Slow:
        is_open, left = True, 100

        @property
        def out_waiting(self):
            self.left = max(0, self.left - 1)   # a byte every read (every 20 ms): 2 s in all
            return self.left

    class Dev:
        _device = Slow()
    printer = open_printer(PrinterConfig(backend="serial", baudrate=115200, chunk_size=256))
    printer._dev = Dev()
    t0 = time.monotonic()
    assert printer.end() == {}
    assert time.monotonic() - t0 > 2 * printer.stall_s and Dev._device.left == 0


def test_the_stall_bound_grows_with_a_slow_link():
    fast = open_printer(PrinterConfig(backend="serial", baudrate=115200, chunk_size=256))
    slow = open_printer(PrinterConfig(backend="serial", baudrate=2400, chunk_size=1024))
    assert fast.stall_s == 5.0 and slow.stall_s > 30     # 5 KB at 240 B/s: ~21 s, twice over
