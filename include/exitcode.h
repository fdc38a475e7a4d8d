/*
 * exitcode: the process exit codes every job and command returns, from
 * sysexits.h where one fits, as the README documents. Jobs return these so
 * a front end (the CLI, the daemon) never has to guess what 1 or 69 means.
 */
#ifndef CW_EXITCODE_H
#define CW_EXITCODE_H

#define CW_EXIT_OK          0
#define CW_EXIT_FAILED      1  /* a job ran and found failures */
#define CW_EXIT_USAGE       2  /* bad command line, or an unknown dataset or set name */
#define CW_EXIT_UNAVAILABLE 69 /* EX_UNAVAILABLE: a dependency is down */
#define CW_EXIT_SOFTWARE    70 /* EX_SOFTWARE: internal error */
#define CW_EXIT_CANTCREAT   73 /* EX_CANTCREAT: a file the agent needs cannot be created */
#define CW_EXIT_IOERR       74 /* EX_IOERR: reading or writing failed (the HTTP helper's pipes) */
#define CW_EXIT_PROTOCOL    76 /* EX_PROTOCOL: a malformed request to the HTTP helper */
#define CW_EXIT_CONFIG      78 /* EX_CONFIG: bad configuration */

#endif
