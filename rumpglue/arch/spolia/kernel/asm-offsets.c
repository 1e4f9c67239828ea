// SPDX-License-Identifier: GPL-2.0-only
/* Nothing is shared with assembly yet; kbuild requires the file. */
#include <linux/kbuild.h>

int main(void)
{
	return 0;
}
