/* narrator controls box firmware for an Arduino Uno / Nano (ATmega328P, 16 MHz), written
 * against avr-libc directly (no Arduino core needed to build it).
 *   button: D2 (PD2) to GND, internal pull-up      knob: 10k pot wiper on A0
 *   status LED: D9 (PB1, PWM) through 330 ohm      serial: 115200 8N1 over USB
 * All protocol logic lives in protocol.c. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>

#include "protocol.h"

#define BAUD 115200UL
#define RX_BUF 256   /* a uint8_t index wraps by itself; holds any burst the host sends while a
                        reply is going out (20 HELLOs are 120 bytes; their replies take ~60 ms) */

static volatile uint32_t ms;
static volatile uint8_t rx_buf[RX_BUF];
static volatile uint8_t rx_head, rx_tail;

ISR(TIMER0_COMPA_vect) { ms++; }

ISR(USART_RX_vect) {
    uint8_t b = UDR0;
    uint8_t next = (uint8_t)(rx_head + 1);
    if (next != rx_tail) { rx_buf[rx_head] = b; rx_head = next; }   /* full: drop the byte */
}

static uint32_t now(void) {
    uint32_t t;
    cli(); t = ms; sei();
    return t;
}

static void uart_put(uint8_t c) {
    while (!(UCSR0A & _BV(UDRE0))) {}
    UDR0 = c;
}

static void emit_line(const char *line) {
    while (*line) uart_put((uint8_t)*line++);
    uart_put('\n');
}

static uint16_t adc_read(void) {
    ADCSRA |= _BV(ADSC);
    while (ADCSRA & _BV(ADSC)) {}
    return ADC;
}

int main(void) {
    struct ctl_state state;
    MCUSR = 0;
    wdt_enable(WDTO_1S);                       /* a hung board resets itself */
    /* 1 ms tick: CTC, prescaler 64, 16 MHz / 64 / 250 = 1 kHz */
    TCCR0A = _BV(WGM01);
    TCCR0B = _BV(CS01) | _BV(CS00);
    OCR0A = 249;
    TIMSK0 = _BV(OCIE0A);
    /* UART, double speed: UBRR = F_CPU / (8 * BAUD) - 1 */
    UCSR0A = _BV(U2X0);
    UBRR0 = (uint16_t)(F_CPU / (8UL * BAUD) - 1);
    UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
    /* button with pull-up, LED out, ADC on A0 with AVcc reference, prescaler 128 */
    DDRD &= (uint8_t)~_BV(PD2);
    PORTD |= _BV(PD2);
    DDRB |= _BV(PB1);
    /* status LED on OC1A (D9): 8-bit fast PWM, prescaler 64, ~1 kHz */
    TCCR1A = _BV(COM1A1) | _BV(WGM10);
    TCCR1B = _BV(WGM12) | _BV(CS11) | _BV(CS10);
    ADMUX = _BV(REFS0);
    ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
    sei();

    ctl_init(&state, emit_line);
    uint32_t last_button = 0, last_knob = 0;
    for (;;) {
        wdt_reset();
        uint32_t t = now();
        while (rx_tail != rx_head) {
            uint8_t b = rx_buf[rx_tail];
            rx_tail = (uint8_t)(rx_tail + 1);
            ctl_rx_byte(&state, b, t);
        }
        if (t != last_button) { last_button = t; ctl_button(&state, !(PIND & _BV(PD2)), t); }
        if (t - last_knob >= 10) { last_knob = t; ctl_knob(&state, adc_read()); }
        OCR1A = ctl_led_level(&state, t);
    }
}
