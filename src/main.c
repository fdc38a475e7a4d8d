/* cachewarden: rebuilds Redis from MySQL, verifies backups, reports to SNS. */
#include "config.h"

#include "cmd.h"

int
main(int argc, char **argv)
{
	return cmd_main(argc, argv);
}
