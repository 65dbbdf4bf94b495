/* narrator controls box: the board-side logic of the serial protocol (hardware/PROTOCOL.md).
 *
 * Pure C with no hardware access, so the same code runs in the AVR firmware (main.c) and in
 * host_board.c, the virtual board the host's tests talk to over a pty.
 * The caller samples the button and the knob and feeds received bytes; the logic calls
 * emit() with each complete line to send (without the newline).
 */
#ifndef NARRATOR_PROTOCOL_H
#define NARRATOR_PROTOCOL_H

#include <stdint.h>

#define CTL_PROTOCOL_VERSION 1
#define CTL_FIRMWARE_VERSION "1.0.0"
#define CTL_STR_(x) #x
#define CTL_STR(x) CTL_STR_(x)
/* the greeting, sent at start and in answer to HELLO: "HELLO narrator-controls 1 1.0.0" */
#define CTL_HELLO "HELLO narrator-controls " CTL_STR(CTL_PROTOCOL_VERSION) " " CTL_FIRMWARE_VERSION
#define CTL_MAX_LINE 32          /* longest line either side may send, newline excluded */
#define CTL_DEBOUNCE_MS 30       /* the button must hold a new level this long */
#define CTL_LONG_PRESS_MS 1000   /* held this long: LONG instead of PRESS */
#define CTL_KNOB_DEADBAND 12     /* of 0..1023: smaller moves are noise */

enum ctl_led { LED_IDLE, LED_BUSY, LED_ERROR, LED_PAPER };

typedef void (*ctl_emit_fn)(const char *line);

struct ctl_state {
    ctl_emit_fn emit;
    /* button */
    uint8_t raw, stable;          /* 1 = pressed */
    uint32_t raw_since, pressed_at;
    uint8_t long_sent;
    /* knob: exponential moving average in 1/16 units, and the last value sent */
    int32_t knob_avg16;
    int16_t knob_sent, knob_now;  /* the last value sent, and the current smoothed reading */
    uint8_t knob_primed;
    /* receive */
    char rx[CTL_MAX_LINE + 1];
    uint8_t rx_len, rx_overlong, rx_bad;
    /* status light */
    uint8_t led;
};

void ctl_init(struct ctl_state *s, ctl_emit_fn emit);
void ctl_button(struct ctl_state *s, uint8_t pressed, uint32_t now_ms);
void ctl_knob(struct ctl_state *s, uint16_t raw);
void ctl_rx_byte(struct ctl_state *s, uint8_t byte, uint32_t now_ms);
/* the status light's brightness now, 0..255 (PWM on D9: idle breathes, the rest blink) */
uint8_t ctl_led_level(const struct ctl_state *s, uint32_t now_ms);

#endif
