/* failpoint.h: named steps where a crash test can kill us.
 *
 * MCSPOOL_FAILPOINT=name      SIGKILL ourselves the first time step "name" is reached
 * MCSPOOL_FAILPOINT=name:N    ... the Nth time
 *
 * Unset, a failpoint costs one pointer test. The names in use are listed in
 * doc/failpoints.md; the crash tests iterate over them.
 */
#ifndef MCSPOOL_FAILPOINT_H
#define MCSPOOL_FAILPOINT_H

void failpoint(const char *name);

#endif
