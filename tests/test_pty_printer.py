"""The printer simulator on a pty that keeps ESC/POS state, and the one repair rule checked
against it: whatever byte a stream is cut at, NULs as long as its longest command and a reset
leave the printer between commands, so the reprint prints whole."""
import random
import time

import pytest

from device.camera import generated_scene
from device.config import PrinterConfig
from device.printer import PrinterError, open_printer
from device.printer.preview import decode, longest_command
from device.printer.pty_sim import EscposState, PtyPrinter
from device.receipt import Paper, receipt_body, receipt_head
from device.recovery import RESET


def a_receipt(seed=1, caption="a dog on a bench"):
    paper = Paper()
    return (receipt_head(paper, "now", "", generated_scene(seed), caption)
            + receipt_body(paper, [caption + " in the rain\nand more"], "voice", f"j{seed}", caption))


def wait_for(condition, timeout=10.0):
    t0 = time.monotonic()
    while not condition():
        if time.monotonic() - t0 > timeout:
            return False
        time.sleep(0.02)
    return True


def test_the_state_sees_a_receipt_swallowed_by_a_cut_raster():
    """What the old daemon did: a receipt sent while the printer still waits for raster bytes
    turns into pixels. The simulator must notice (this is what it is for)."""
    data = a_receipt()
    cut = data.index(b"\x1dv0") + 3000
    state = EscposState()
    state.feed(data[:cut])
    assert state.expecting > 0
    state.feed(data)
    roll = data[:cut] + data
    assert not state.between_commands(cut)
    assert roll.find(data, 1) == cut            # the bytes are all there, but not as a receipt


def cuts_of(data, n_random=300, seed=0):
    """Where a stream may be cut: every byte of the first 300 (header text and its ESC
    commands), a few bytes either side of every raster band's start, and random places."""
    rng = random.Random(seed)
    cuts = set(range(min(300, len(data))))
    at = data.find(b"\x1dv0")
    while at >= 0:
        cuts.update(range(max(0, at - 2), min(len(data), at + 10)))
        at = data.find(b"\x1dv0", at + 1)
    cuts.update(rng.randrange(len(data)) for _ in range(n_random))
    return sorted(cuts | {len(data) - 1, len(data)})


def test_the_padding_repairs_a_cut_at_any_byte_even_sent_twice():
    """The repair needs no count: whatever byte the printer stopped at, longest_command NULs
    and a reset leave it between commands, so the reprint prints whole; a crash during the
    repair sends it again, which does no harm either."""
    data = a_receipt(2)
    repair = bytes(longest_command(data)) + RESET
    checked = 0
    for t in cuts_of(data):
        for repairs in (1, 2):
            state = EscposState()
            stream = data[:t] + repair * repairs
            state.feed(stream + data)
            where = f"cut at {t} of {len(data)}, repair x{repairs}"
            assert state.garbage == [], where
            assert state.between_commands(len(stream)), where
            assert decode(stream + data).text.endswith(decode(data).text), where
            checked += 1
    assert checked > 700


@pytest.mark.parametrize("paper", [Paper(), Paper(dots=576, profile="TM-T20II")])
def test_the_photo_goes_in_bands_so_no_command_is_long(paper):
    """The longest command bounds the repair: one raster band (BAND_ROWS rows of the paper's
    width), not the whole photo."""
    from device.receipt import BAND_ROWS
    data = receipt_head(paper, "now", "", generated_scene(3), "a band")
    bands = decode(data).rasters
    assert len(bands) > 3 and all(b.shape[0] <= BAND_ROWS for b in bands)
    assert longest_command(data) == 8 + paper.dots // 8 * BAND_ROWS


def test_a_stall_mid_chunk_counts_exactly_what_the_printer_will_get(monkeypatch, tmp_path):
    """pyserial's write timeout can fire after part of a chunk went out; the serial transport
    counts each write() itself, so `sent` is exactly what reaches the printer."""
    import device.printer.serial_link as serial_link
    monkeypatch.setattr(serial_link, "STALL_S", 0.5)
    sim = PtyPrinter(tmp_path / "ttyPRINTER")
    try:
        sim.stalled = True
        data = a_receipt(3) * 8                     # more than the pty's buffer holds
        printer = open_printer(PrinterConfig(backend="serial", device=str(sim.link), baudrate=115200,
                                             chunk_size=4000, chunk_pause_s=0))
        printer.begin("j")
        with pytest.raises(PrinterError, match="not taking data"):
            printer.send(data)
        assert 0 < printer.sent < len(data)         # (where the kernel's buffer filled: often inside a chunk)
        sim.stalled = False                         # what the kernel held reaches the printer
        assert wait_for(lambda: sim.state.taken == printer.sent, 5), (sim.state.taken, printer.sent)
        time.sleep(0.2)
        assert sim.state.taken == printer.sent
    finally:
        sim.close()


def test_the_simulator_answers_status_queries_and_reports_paper_out(tmp_path):
    sim = PtyPrinter(tmp_path / "ttyPRINTER")
    try:
        printer = open_printer(PrinterConfig(backend="serial", device=str(sim.link), baudrate=115200,
                                             query_status=True))
        assert printer.status() == (True, "")
        sim.paper = False
        ok, why = printer.status()
        assert not ok and "paper" in why
        assert sim.queries >= 2
        printer.close()
    finally:
        sim.close()


def test_unplugged_mid_band_then_plugged_back_the_repair_and_reprint_print_whole(tmp_path):
    """Pulling the cable mid-photo leaves the printer inside a raster band, and how many bytes
    it took is not what the host counted. Plugged back, the repair (NULs, reset) and the
    receipt again: the printer parses everything and has the receipt whole exactly once."""
    sim = PtyPrinter(tmp_path / "ttyPRINTER")
    try:
        data = a_receipt(4)
        sim.unplug_after = data.index(b"\x1dv0") + 2000
        cfg = PrinterConfig(backend="serial", device=str(sim.link), baudrate=115200, chunk_size=256,
                            chunk_pause_s=0.002)
        printer = open_printer(cfg)
        printer.begin("j")
        with pytest.raises(PrinterError):
            printer.send(data)
        printer.close()
        assert wait_for(lambda: sim.cable is None)
        assert sim.state.expecting > 0                      # inside a band
        assert sim.state.taken == data.index(b"\x1dv0") + 2000 <= printer.tried
        cut = sim.state.taken
        sim.plug()
        printer = open_printer(cfg)
        repair = bytes(longest_command(data)) + RESET
        printer.begin("repair")
        printer.send(repair)
        printer.begin("j")
        printer.send(data)
        printer.end()
        assert wait_for(lambda: sim.state.taken >= cut + len(repair) + len(data))
        time.sleep(0.2)
        assert sim.garbage == [] and sim.printed_whole(data) == 1
        printer.close()
    finally:
        sim.close()
