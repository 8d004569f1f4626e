/*
 * ping.h: `udpecho ping HOST [PORT]`, ping-like probing of any echo server,
 * RFC 862 or TR-143 UDPEchoPlus.
 */
#ifndef UDPECHO_CLIENT_PING_H
#define UDPECHO_CLIENT_PING_H

/* argv[first] is the first argument after "ping".  Exit status as ping: 0, 1 or 2. */
int ping_main(int argc, char **argv, int first);

#endif
