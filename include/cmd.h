/*
 * cmd: the command line. One table of commands (name, usage, whether it
 * needs the config, handler); cmd_main parses the global options, loads the
 * config for commands that need it and returns the process exit code.
 */
#ifndef CW_CMD_H
#define CW_CMD_H

/* Exit codes: sysexits.h where one fits, as the README documents. */
#define CW_EXIT_OK          0
#define CW_EXIT_FAILED      1  /* a job ran and found failures */
#define CW_EXIT_USAGE       2  /* bad command line, or a capability not built yet */
#define CW_EXIT_UNAVAILABLE 69 /* EX_UNAVAILABLE: a dependency is down */
#define CW_EXIT_SOFTWARE    70 /* EX_SOFTWARE: internal error */
#define CW_EXIT_CONFIG      78 /* EX_CONFIG: bad configuration */

int cmd_main(int argc, char **argv);

#endif
