/* Board-side protocol logic: debounced button with long press, knob with smoothing and a
 * deadband, host command parser, status-light patterns. See protocol.h and PROTOCOL.md. */
#include "protocol.h"

#include <string.h>

static void emit_num(struct ctl_state *s, const char *word, int value) {
    char line[CTL_MAX_LINE + 1];
    char digits[8];
    uint8_t n = 0, i = 0;
    if (value < 0) value = 0;
    do { digits[n++] = (char)('0' + value % 10); value /= 10; } while (value && n < sizeof digits);
    while (*word && i < CTL_MAX_LINE - 8) line[i++] = *word++;
    line[i++] = ' ';
    while (n) line[i++] = digits[--n];
    line[i] = 0;
    s->emit(line);
}

void ctl_init(struct ctl_state *s, ctl_emit_fn emit) {
    memset(s, 0, sizeof *s);
    s->emit = emit;
    s->knob_sent = -1;
    s->emit(CTL_HELLO);
}

void ctl_button(struct ctl_state *s, uint8_t pressed, uint32_t now_ms) {
    pressed = pressed ? 1 : 0;
    if (pressed != s->raw) {            /* level changed: restart the debounce clock */
        s->raw = pressed;
        s->raw_since = now_ms;
    }
    if (s->raw != s->stable && now_ms - s->raw_since >= CTL_DEBOUNCE_MS) {
        s->stable = s->raw;
        if (s->stable) {
            s->pressed_at = now_ms;
            s->long_sent = 0;
        } else if (!s->long_sent) {
            s->emit("PRESS");
        }
    }
    if (s->stable && !s->long_sent && now_ms - s->pressed_at >= CTL_LONG_PRESS_MS) {
        s->long_sent = 1;                /* sent while still held, once */
        s->emit("LONG");
    }
}

void ctl_knob(struct ctl_state *s, uint16_t raw) {
    if (raw > 1023) raw = 1023;
    if (!s->knob_primed) {
        s->knob_avg16 = (int32_t)raw * 16;
        s->knob_primed = 1;
    } else {
        s->knob_avg16 += ((int32_t)raw * 16 - s->knob_avg16) / 8;   /* EMA, alpha = 1/8 */
    }
    int16_t value = (int16_t)((s->knob_avg16 + 8) / 16);
    s->knob_now = value;                 /* KNOB? answers this, not the last value sent */
    int16_t moved = value - s->knob_sent;
    if (s->knob_sent < 0 || moved >= CTL_KNOB_DEADBAND || moved <= -CTL_KNOB_DEADBAND
        || ((value == 0 || value == 1023) && value != s->knob_sent)) {
        s->knob_sent = value;            /* the ends are always reachable despite the deadband */
        emit_num(s, "KNOB", value);
    }
}

static void handle_line(struct ctl_state *s, const char *line, uint32_t now_ms) {
    (void)now_ms;
    if (strcmp(line, "HELLO") == 0) {
        s->emit(CTL_HELLO);
    } else if (strcmp(line, "PING") == 0) {
        s->emit("PONG");
    } else if (strcmp(line, "KNOB?") == 0) {
        emit_num(s, "KNOB", s->knob_primed ? s->knob_now : 0);
    } else if (strncmp(line, "LED ", 4) == 0) {
        const char *m = line + 4;
        if (strcmp(m, "IDLE") == 0) s->led = LED_IDLE;
        else if (strcmp(m, "BUSY") == 0) s->led = LED_BUSY;
        else if (strcmp(m, "ERROR") == 0) s->led = LED_ERROR;
        else if (strcmp(m, "PAPER") == 0) s->led = LED_PAPER;
        else { s->emit("ERR bad-led"); return; }
        s->emit("OK LED");
    } else if (line[0]) {
        s->emit("ERR unknown");
    }
}

void ctl_rx_byte(struct ctl_state *s, uint8_t b, uint32_t now_ms) {
    if (b == '\r') return;
    if (b == '\n') {
        if (s->rx_overlong) s->emit("ERR overlong");
        else if (s->rx_bad) s->emit("ERR garbage");
        else { s->rx[s->rx_len] = 0; handle_line(s, s->rx, now_ms); }
        s->rx_len = s->rx_overlong = s->rx_bad = 0;
        return;
    }
    if (b < 0x20 || b > 0x7e) s->rx_bad = 1;            /* not printable ASCII: drop the line */
    if (s->rx_len >= CTL_MAX_LINE) s->rx_overlong = 1;  /* keep reading until the newline */
    else s->rx[s->rx_len++] = (char)b;
}

uint8_t ctl_led_level(const struct ctl_state *s, uint32_t now_ms) {
    uint32_t t;
    switch (s->led) {
    case LED_IDLE:                                                   /* slow breathe: ready */
        t = now_ms % 3000;                                           /* up 1.5 s, down 1.5 s */
        t = t < 1500 ? t : 3000 - t;
        return (uint8_t)((t * t * 255UL) / (1500UL * 1500UL));       /* squared: eyes see it even */
    case LED_BUSY:  return (now_ms % 250) < 125 ? 255 : 0;           /* fast blink: working */
    case LED_ERROR: return 255;                                      /* steady: needs a look */
    case LED_PAPER: return (now_ms % 1200) < 600 && (now_ms % 200) < 100 ? 255 : 0;  /* bursts */
    }
    return 0;
}
