/* check_main.c - runs every suite of the core.  Check forks each test, so a
 * crash fails one test rather than the run.  CK_RUN_SUITE / CK_RUN_CASE
 * select a subset while developing. */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
    Suite *(*const suites[])(void) = {
        errors_suite,  inet_suite,    addr_suite,    resolver_suite,
        constants_suite, handles_suite, socket_suite, timeout_suite,
        threads_suite, poller_suite,  alloc_suite,   vectors_suite,
        faults_suite,
        tls_suite,     tls_peers_suite,
    };
    SRunner *runner = srunner_create(NULL);
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        srunner_add_suite(runner, suites[i]());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
