/*
 * cmd: the command line. One table of commands (name, usage, whether it
 * needs the config, handler); cmd_main parses the global options, loads the
 * config for commands that need it and returns the process exit code.
 */
#ifndef CW_CMD_H
#define CW_CMD_H

#include "exitcode.h"

int cmd_main(int argc, char **argv);

#endif
