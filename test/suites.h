/* suites.h - one Check suite per area of the core; check_main.c runs them
 * all.  Each test name says the behaviour it proves (docs/testing.md). */
#ifndef POLYSOCK_TEST_SUITES_H
#define POLYSOCK_TEST_SUITES_H

#include <check.h>

Suite *errors_suite(void);
Suite *inet_suite(void);
Suite *addr_suite(void);
Suite *resolver_suite(void);
Suite *constants_suite(void);
Suite *handles_suite(void);
Suite *socket_suite(void);
Suite *timeout_suite(void);
Suite *threads_suite(void);
Suite *poller_suite(void);
Suite *alloc_suite(void);
Suite *vectors_suite(void);
Suite *faults_suite(void);
Suite *tls_suite(void);
Suite *tls_peers_suite(void);

#endif
