/*
 * ping.c: `udpecho ping` (being written).
 */
#include "ping.h"

#include <stdio.h>

int ping_main(int argc, char **argv, int first)
{
	(void)argc;
	(void)argv;
	(void)first;
	fputs("udpecho ping: not built yet\n", stderr);
	return 2;
}
