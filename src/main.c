/* cachewarden: rebuilds Redis from MySQL, verifies backups, reports to SNS. */
#include "config.h"

#include <string.h>

#include "cmd.h"
#include "http.h"

int
main(int argc, char **argv)
{
	/* The agent's HTTP helper (http.h): before anything else is set up. */
	if (argc == 2 && strcmp(argv[1], HTTP_HELPER_COMMAND) == 0)
		return http_helper_main();
	return cmd_main(argc, argv);
}
