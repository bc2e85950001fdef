/* check_inet.c - byte order and the inet_* conversions: the platform's
 * accepting rules, strict inet_pton, and lengths that are refused rather
 * than truncated. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "suites.h"
#include "testutil.h"

START_TEST(test_byte_order_matches_libc_at_the_limits)
{
    uint32_t l;
    uint16_t s;
    ck_assert_ps_ok(polysock_htonl(0x01020304, &l));
    ck_assert_uint_eq(l, htonl(0x01020304));
    ck_assert_ps_ok(polysock_ntohl(0xffffffffLL, &l));
    ck_assert_uint_eq(l, 0xffffffffu);
    ck_assert_ps_ok(polysock_ntohl(0, &l));
    ck_assert_uint_eq(l, 0);
    ck_assert_ps_ok(polysock_htons(0x0102, &s));
    ck_assert_uint_eq(s, htons(0x0102));
    ck_assert_ps_ok(polysock_ntohs(65535, &s));
    ck_assert_uint_eq(s, 65535);
    ck_assert_ps_ok(polysock_ntohs(0x1234, &s));
    ck_assert_uint_eq(s, ntohs(0x1234));
}
END_TEST

START_TEST(test_byte_order_refuses_values_that_do_not_fit)
{
    uint32_t l = 7;
    uint16_t s = 7;
    const int64_t bad32[] = {-1, 1LL << 32, INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < sizeof bad32 / sizeof bad32[0]; i++) {
        ck_assert_ps(polysock_htonl(bad32[i], &l), POLYSOCK_ERANGE);
        ck_assert_ps(polysock_ntohl(bad32[i], &l), POLYSOCK_ERANGE);
    }
    const int64_t bad16[] = {-1, 65536, 1LL << 32};
    for (size_t i = 0; i < sizeof bad16 / sizeof bad16[0]; i++) {
        ck_assert_ps(polysock_htons(bad16[i], &s), POLYSOCK_ERANGE);
        ck_assert_ps(polysock_ntohs(bad16[i], &s), POLYSOCK_ERANGE);
    }
    /* Outputs are untouched on failure. */
    ck_assert_uint_eq(l, 7);
    ck_assert_uint_eq(s, 7);
    ck_assert_int_eq(polysock_errclass(POLYSOCK_ERANGE), POLYSOCK_ERRCLASS_OVERFLOW);
}
END_TEST

START_TEST(test_byte_order_refuses_null_output)
{
    ck_assert_ps(polysock_htonl(1, NULL), POLYSOCK_ENULL);
    ck_assert_ps(polysock_ntohl(1, NULL), POLYSOCK_ENULL);
    ck_assert_ps(polysock_htons(1, NULL), POLYSOCK_ENULL);
    ck_assert_ps(polysock_ntohs(1, NULL), POLYSOCK_ENULL);
}
END_TEST

static void assert_aton(const char *ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    uint8_t packed[4];
    ck_assert_ps_ok(polysock_inet_aton(ip, packed, sizeof packed));
    const uint8_t want[4] = {a, b, c, d};
    ck_assert_mem_eq(packed, want, 4);
}

START_TEST(test_inet_aton_accepts_glibc_short_and_radix_forms)
{
    assert_aton("1", 0, 0, 0, 1);
    assert_aton("127.1", 127, 0, 0, 1);
    assert_aton("10.1.2", 10, 1, 0, 2);
    assert_aton("0x7f.0.0.1", 127, 0, 0, 1);
    assert_aton("0177.0.0.1", 127, 0, 0, 1);
    assert_aton("255.255.255.255", 255, 255, 255, 255);
    assert_aton("123.45.67.89", 123, 45, 67, 89);
}
END_TEST

START_TEST(test_inet_aton_rejects_what_glibc_rejects)
{
    const char *bad[] = {"256.0.0.0x", "256.0.0.0", "1.2.3.4.5", "", "a.b.c.d",
                         "1.2.3.256", "4294967296"};
    uint8_t packed[4] = {9, 9, 9, 9};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_ps(polysock_inet_aton(bad[i], packed, sizeof packed),
                     POLYSOCK_EINETADDR);
    const uint8_t untouched[4] = {9, 9, 9, 9};
    ck_assert_mem_eq(packed, untouched, 4);
    ck_assert_int_eq(polysock_errclass(POLYSOCK_EINETADDR), POLYSOCK_ERRCLASS_ERROR);
}
END_TEST

START_TEST(test_inet_aton_needs_room_for_four_bytes)
{
    uint8_t packed[4];
    ck_assert_ps(polysock_inet_aton("1.2.3.4", packed, 3), POLYSOCK_ETOOSMALL);
    ck_assert_ps(polysock_inet_aton(NULL, packed, 4), POLYSOCK_ENULL);
    ck_assert_ps(polysock_inet_aton("1.2.3.4", NULL, 4), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_inet_ntoa_formats_a_dotted_quad)
{
    const uint8_t packed[4] = {123, 45, 67, 89};
    char out[16];
    ck_assert_ps_ok(polysock_inet_ntoa(packed, 4, out, sizeof out));
    ck_assert_str_eq(out, "123.45.67.89");
    const uint8_t bcast[4] = {255, 255, 255, 255};
    ck_assert_ps_ok(polysock_inet_ntoa(bcast, 4, out, sizeof out));
    ck_assert_str_eq(out, "255.255.255.255");
}
END_TEST

START_TEST(test_inet_ntoa_refuses_packed_of_wrong_length)
{
    const uint8_t packed[16] = {1, 2, 3, 4, 5};
    char out[16] = "unchanged";
    const size_t lens[] = {0, 3, 5, 16};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        ck_assert_ps(polysock_inet_ntoa(packed, lens[i], out, sizeof out),
                     POLYSOCK_EPACKED);
    ck_assert_str_eq(out, "unchanged");
}
END_TEST

START_TEST(test_inet_ntoa_refuses_too_small_output)
{
    const uint8_t packed[4] = {255, 255, 255, 255};
    char out[16];
    ck_assert_ps(polysock_inet_ntoa(packed, 4, out, 15), POLYSOCK_ETOOSMALL);
    ck_assert_ps(polysock_inet_ntoa(packed, 4, NULL, 16), POLYSOCK_ENULL);
    ck_assert_ps(polysock_inet_ntoa(NULL, 4, out, 16), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_inet_pton_rejects_malformed_strings)
{
    struct {
        int family;
        const char *ip;
    } bad[] = {
        {AF_INET, "0.0.0."},     {AF_INET, "300.0.0.0"}, {AF_INET, "1.2.3.4.5"},
        {AF_INET, ""},           {AF_INET, "1.2.3"},     {AF_INET, "127.1"},
        {AF_INET, "1.2.3.4 "},   {AF_INET, "::1"},       {AF_INET6, ":::"},
        {AF_INET6, "1::260.2.3.0"}, {AF_INET6, ""},      {AF_INET6, "1.2.3.4"},
        {AF_INET6, "1:2:3:4:5:6:7:8:9"}, {AF_INET6, "fe80::1%lo"},
    };
    uint8_t packed[16];
    size_t len = 99;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(polysock_inet_pton(bad[i].family, bad[i].ip, packed,
                                         sizeof packed, &len) == POLYSOCK_EINETADDR,
                      "inet_pton accepted \"%s\"", bad[i].ip);
    ck_assert_uint_eq(len, 99);
}
END_TEST

START_TEST(test_inet_pton_accepts_mapped_and_loopback_ipv6)
{
    uint8_t packed[16];
    size_t len = 0;
    ck_assert_ps_ok(polysock_inet_pton(AF_INET6, "::ffff:1.2.3.4", packed,
                                       sizeof packed, &len));
    ck_assert_uint_eq(len, 16);
    const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
    ck_assert_mem_eq(packed, mapped, 16);
    ck_assert_ps_ok(polysock_inet_pton(AF_INET6, "::1", packed, sizeof packed, &len));
    const uint8_t loop[16] = {[15] = 1};
    ck_assert_mem_eq(packed, loop, 16);
}
END_TEST

START_TEST(test_inet_pton_ipv4_writes_four_bytes)
{
    uint8_t packed[4];
    size_t len = 0;
    ck_assert_ps_ok(polysock_inet_pton(AF_INET, "10.20.30.40", packed, 4, &len));
    ck_assert_uint_eq(len, 4);
    const uint8_t want[4] = {10, 20, 30, 40};
    ck_assert_mem_eq(packed, want, 4);
}
END_TEST

START_TEST(test_inet_pton_refuses_unsupported_family_with_eafnosupport)
{
    uint8_t packed[16];
    size_t len;
    int rc = polysock_inet_pton(AF_UNIX, "1.2.3.4", packed, sizeof packed, &len);
    ck_assert_ps(rc, -EAFNOSUPPORT);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_OS);
    ck_assert_ps(polysock_inet_pton(12345, "1.2.3.4", packed, sizeof packed, &len),
                 -EAFNOSUPPORT);
}
END_TEST

START_TEST(test_inet_pton_refuses_small_buffer_and_null)
{
    uint8_t packed[16];
    size_t len;
    ck_assert_ps(polysock_inet_pton(AF_INET, "1.2.3.4", packed, 3, &len),
                 POLYSOCK_ETOOSMALL);
    ck_assert_ps(polysock_inet_pton(AF_INET6, "::1", packed, 15, &len),
                 POLYSOCK_ETOOSMALL);
    ck_assert_ps(polysock_inet_pton(AF_INET, NULL, packed, 16, &len), POLYSOCK_ENULL);
    ck_assert_ps(polysock_inet_pton(AF_INET, "1.2.3.4", NULL, 16, &len), POLYSOCK_ENULL);
    ck_assert_ps(polysock_inet_pton(AF_INET, "1.2.3.4", packed, 16, NULL), POLYSOCK_ENULL);
}
END_TEST

static void assert_round_trip(int family, const char *text)
{
    uint8_t packed[16];
    size_t len;
    char out[64];
    ck_assert_ps_ok(polysock_inet_pton(family, text, packed, sizeof packed, &len));
    ck_assert_ps_ok(polysock_inet_ntop(family, packed, len, out, sizeof out));
    ck_assert_str_eq(out, text);
}

START_TEST(test_inet_ntop_round_trips_canonical_text)
{
    assert_round_trip(AF_INET, "0.0.0.0");
    assert_round_trip(AF_INET, "7.10.0.5");
    assert_round_trip(AF_INET, "255.255.255.255");
    assert_round_trip(AF_INET6, "::");
    assert_round_trip(AF_INET6, "::1");
    assert_round_trip(AF_INET6, "5aef:2b::8");
    assert_round_trip(AF_INET6, "fe80::1");
    assert_round_trip(AF_INET6, "::ffff:1.2.3.4");
    assert_round_trip(AF_INET6, "1:2:3:4:5:6:7:8");
}
END_TEST

START_TEST(test_inet_ntop_refuses_length_not_matching_family)
{
    const uint8_t packed[16] = {0};
    char out[64] = "unchanged";
    ck_assert_ps(polysock_inet_ntop(AF_INET, packed, 16, out, sizeof out),
                 POLYSOCK_EPACKEDLEN);
    ck_assert_ps(polysock_inet_ntop(AF_INET, packed, 3, out, sizeof out),
                 POLYSOCK_EPACKEDLEN);
    ck_assert_ps(polysock_inet_ntop(AF_INET6, packed, 4, out, sizeof out),
                 POLYSOCK_EPACKEDLEN);
    ck_assert_ps(polysock_inet_ntop(AF_INET6, packed, 17, out, sizeof out),
                 POLYSOCK_EPACKEDLEN);
    ck_assert_str_eq(out, "unchanged");
    ck_assert_int_eq(polysock_errclass(POLYSOCK_EPACKEDLEN), POLYSOCK_ERRCLASS_VALUE);
}
END_TEST

START_TEST(test_inet_ntop_refuses_unknown_family_and_small_output)
{
    const uint8_t packed[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    char out[64];
    ck_assert_ps(polysock_inet_ntop(AF_UNIX, packed, 4, out, sizeof out),
                 POLYSOCK_EFAMILY);
    ck_assert_ps(polysock_inet_ntop(AF_INET6, packed, 16, out, 11), POLYSOCK_ETOOSMALL);
    ck_assert_ps_ok(polysock_inet_ntop(AF_INET6, packed, 16, out, 12));
    ck_assert_str_eq(out, "2001:db8::1");
    ck_assert_ps(polysock_inet_ntop(AF_INET, NULL, 4, out, sizeof out), POLYSOCK_ENULL);
    ck_assert_ps(polysock_inet_ntop(AF_INET, packed, 4, NULL, 16), POLYSOCK_ENULL);
}
END_TEST

Suite *inet_suite(void)
{
    Suite *s = suite_create("inet");
    TCase *tc = tcase_create("byteorder");
    tcase_add_test(tc, test_byte_order_matches_libc_at_the_limits);
    tcase_add_test(tc, test_byte_order_refuses_values_that_do_not_fit);
    tcase_add_test(tc, test_byte_order_refuses_null_output);
    suite_add_tcase(s, tc);

    tc = tcase_create("aton");
    tcase_add_test(tc, test_inet_aton_accepts_glibc_short_and_radix_forms);
    tcase_add_test(tc, test_inet_aton_rejects_what_glibc_rejects);
    tcase_add_test(tc, test_inet_aton_needs_room_for_four_bytes);
    tcase_add_test(tc, test_inet_ntoa_formats_a_dotted_quad);
    tcase_add_test(tc, test_inet_ntoa_refuses_packed_of_wrong_length);
    tcase_add_test(tc, test_inet_ntoa_refuses_too_small_output);
    suite_add_tcase(s, tc);

    tc = tcase_create("pton");
    tcase_add_test(tc, test_inet_pton_rejects_malformed_strings);
    tcase_add_test(tc, test_inet_pton_accepts_mapped_and_loopback_ipv6);
    tcase_add_test(tc, test_inet_pton_ipv4_writes_four_bytes);
    tcase_add_test(tc, test_inet_pton_refuses_unsupported_family_with_eafnosupport);
    tcase_add_test(tc, test_inet_pton_refuses_small_buffer_and_null);
    tcase_add_test(tc, test_inet_ntop_round_trips_canonical_text);
    tcase_add_test(tc, test_inet_ntop_refuses_length_not_matching_family);
    tcase_add_test(tc, test_inet_ntop_refuses_unknown_family_and_small_output);
    suite_add_tcase(s, tc);
    return s;
}
