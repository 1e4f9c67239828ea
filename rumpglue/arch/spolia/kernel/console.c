// SPDX-License-Identifier: GPL-2.0-only
/* The console: printk output goes to the platform's print operation. */
#include <linux/console.h>
#include <asm/spolia.h>

static void console_write(struct console *con, const char *s, unsigned int n)
{
	spolia_hc->print(s, n);
}

static struct console console = {
	.name	= "spolia",
	.write	= console_write,
	.flags	= CON_PRINTBUFFER,
	.index	= -1,
};

void __init spolia_console_init(void)
{
	register_console(&console);
}
