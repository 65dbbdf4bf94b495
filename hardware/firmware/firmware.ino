// narrator controls box: this file lets the Arduino IDE open, build and upload the firmware.
// It is empty on purpose. The firmware is plain C in this folder (main.c, protocol.c,
// protocol.h), written against avr-libc with its own main(): the IDE compiles every .c file of
// the sketch folder, and because main.c defines main() the Arduino core's main, setup() and
// loop() are never linked in. Board: "Arduino Uno" or "Arduino Nano" (ATmega328P; for old
// Nanos and most CH340 clones choose Processor "ATmega328P (Old Bootloader)"). See
// hardware/README.md, "Arduino IDE".
