/* A virtual controls box for tests: the firmware's protocol.c on the host, talking over a
 * serial device (a pty) exactly as the board would. Simulated hardware comes on stdin, one
 * command a line, with a virtual millisecond clock so tests are deterministic:
 *   btn 1 | btn 0       button level        knob N       raw knob reading 0..1023
 *   wait MS             advance the clock, sampling the button every 1 ms and the knob every 10
 *   led                 print the LED mode on stdout ("led busy")
 *   level               print the LED's PWM brightness now, 0..255 ("level 128")
 *   quit
 *   usage: host_board /dev/pts/N | fd:N     (bytes from the serial side are read all along)
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "protocol.h"

static int port = -1;
static void emit_line(const char *line) {
    dprintf(port, "%s\n", line);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s SERIAL_DEVICE\n", argv[0]); return 2; }
    port = strncmp(argv[1], "fd:", 3) == 0 ? atoi(argv[1] + 3) : open(argv[1], O_RDWR | O_NOCTTY);
    if (port < 0) { perror(argv[1]); return 1; }
    struct termios tio;
    if (tcgetattr(port, &tio) == 0) { cfmakeraw(&tio); tcsetattr(port, TCSANOW, &tio); }
    struct ctl_state s;
    ctl_init(&s, emit_line);
    uint32_t clock_ms = 0;
    uint8_t button = 0;
    uint16_t knob = 0;
    char cmd[128];
    static const char *leds[] = {"idle", "busy", "error", "paper"};
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = port, .events = POLLIN}};
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stdin, NULL, _IONBF, 0);   /* poll() must see every command line */
    for (;;) {
        if (poll(fds, 2, -1) < 0) return 1;
        if (fds[1].revents & POLLIN) {
            unsigned char buf[256];
            ssize_t n = read(port, buf, sizeof buf);
            for (ssize_t i = 0; i < n; i++) ctl_rx_byte(&s, buf[i], clock_ms);
        }
        if (fds[1].revents & (POLLHUP | POLLERR)) usleep(1000);
        if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;
        if (!fgets(cmd, sizeof cmd, stdin) || strncmp(cmd, "quit", 4) == 0) break;
        if (strncmp(cmd, "btn ", 4) == 0) button = (uint8_t)atoi(cmd + 4);
        else if (strncmp(cmd, "knob ", 5) == 0) knob = (uint16_t)atoi(cmd + 5);
        else if (strncmp(cmd, "level", 5) == 0) printf("level %u\n", (unsigned)ctl_led_level(&s, clock_ms));
        else if (strncmp(cmd, "led", 3) == 0) printf("led %s\n", leds[s.led]);
        else if (strncmp(cmd, "wait ", 5) == 0) {
            for (int t = atoi(cmd + 5); t > 0; t--) {
                clock_ms++;
                ctl_button(&s, button, clock_ms);
                if (clock_ms % 10 == 0) ctl_knob(&s, knob);
            }
            printf("ok %u\n", (unsigned)clock_ms);
        }
    }
    close(port);
    return 0;
}
