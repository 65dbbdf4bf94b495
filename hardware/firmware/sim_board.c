/* The real firmware image (build/firmware.elf) running in simavr, its UART on a pty: the
 * tests talk to it with the host's SerialControls, so what ships to the Arduino is what is
 * tested, down to its 115200-baud timing and its receive buffer. Needs libsimavr-dev.
 * Prints "pty PATH" on stdout, then takes simulated hardware on stdin, one a line:
 *   btn 1 | btn 0      the button pressed (D2 pulled low) or released
 *   knob N             the knob on A0 at N of 0..1023
 *   quit
 *   usage: sim_board build/firmware.elf
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avr_adc.h"
#include "avr_ioport.h"
#include "sim_avr.h"
#include "sim_elf.h"
#include "uart_pty.h"

static uart_pty_t uart;

static int command(avr_t *avr, const char *line) {
    if (strncmp(line, "btn ", 4) == 0)   /* the pin reads low while pressed (pull-up, switch to GND) */
        avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 2), atoi(line + 4) ? 0 : 1);
    else if (strncmp(line, "knob ", 5) == 0)   /* millivolts on A0, AVcc = 5 V */
        avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0), (uint32_t)atoi(line + 5) * 5000 / 1023);
    else if (strncmp(line, "quit", 4) == 0)
        return 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s firmware.elf\n", argv[0]); return 2; }
    elf_firmware_t fw;
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[1], &fw) != 0) { fprintf(stderr, "cannot read %s\n", argv[1]); return 1; }
    avr_t *avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) return 1;
    avr_init(avr);
    avr->frequency = 16000000;
    avr->vcc = avr->avcc = avr->aref = 5000;   /* millivolts, as on an Uno (simavr's default is 3.3 V) */
    avr_load_firmware(avr, &fw);
    avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), 2), 1);   /* released */
    uart_pty_init(avr, &uart);
    uart_pty_connect(&uart, '0');
    printf("pty %s\n", uart.port[0].slavename);   /* simavr prints its own lines first */
    fflush(stdout);
    char buf[256];
    size_t len = 0;
    for (;;) {
        for (int i = 0; i < 20000; i++) {
            int state = avr_run(avr);
            if (state == cpu_Done || state == cpu_Crashed) { fprintf(stderr, "firmware stopped (%d)\n", state); return 1; }
        }
        struct pollfd in = {.fd = 0, .events = POLLIN};
        if (poll(&in, 1, 0) <= 0) continue;
        ssize_t n = read(0, buf + len, sizeof buf - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        char *nl;
        while ((nl = memchr(buf, '\n', len))) {
            *nl = 0;
            if (!command(avr, buf)) _exit(0);   /* uart_pty_stop() signals its thread with SIGINT */
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len);
        }
        if (len == sizeof buf - 1) len = 0;   /* an overlong command: drop it */
    }
    _exit(0);
}
