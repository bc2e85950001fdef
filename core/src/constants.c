/*
 * constants.c - the platform's socket constants by name, so a binding can
 * export them without compiling against this platform's headers.
 *
 * Every entry is guarded by #ifdef: a name is listed exactly when the
 * platform defines it (CPython's rule), except the few to which CPython
 * gives a default value.  The table lists every name CPython's
 * socketmodule.c exports on Linux for these groups, plus the other Linux
 * names of the same groups.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "internal.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#ifdef HAVE_LINUX_NETLINK_H
#include <linux/netlink.h>
#endif
/* Linux option names of other families that CPython exports too. */
#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/can.h>) && __has_include(<linux/can/raw.h>)
#include <linux/can.h>
#include <linux/can/raw.h>
#endif
#if __has_include(<linux/can/j1939.h>)
#include <linux/can/j1939.h>
#define POLYSOCK_HAVE_J1939 1
#endif
#if __has_include(<linux/vm_sockets.h>)
#include <linux/vm_sockets.h>
#endif
#endif

typedef struct constant {
    const char *name;
    int64_t value;
} constant;

/* INADDR_* are in_addr_t (unsigned): the cast keeps INADDR_NONE positive. */
#define K(name) { #name, (int64_t)(name) }

static const constant table[] = {
    /* Address families */
#ifdef AF_UNSPEC
    K(AF_UNSPEC),
#endif
#ifdef AF_INET
    K(AF_INET),
#endif
#ifdef AF_INET6
    K(AF_INET6),
#endif
#ifdef AF_UNIX
    K(AF_UNIX),
#endif
#ifdef AF_LOCAL
    K(AF_LOCAL),
#endif
#ifdef AF_FILE
    K(AF_FILE),
#endif
#ifdef AF_AX25
    K(AF_AX25),
#endif
#ifdef AF_IPX
    K(AF_IPX),
#endif
#ifdef AF_APPLETALK
    K(AF_APPLETALK),
#endif
#ifdef AF_NETROM
    K(AF_NETROM),
#endif
#ifdef AF_BRIDGE
    K(AF_BRIDGE),
#endif
#ifdef AF_ATMPVC
    K(AF_ATMPVC),
#endif
#ifdef AF_AAL5
    K(AF_AAL5),
#endif
#ifdef AF_X25
    K(AF_X25),
#endif
#ifdef AF_ROSE
    K(AF_ROSE),
#endif
#ifdef AF_DECnet
    K(AF_DECnet),
#endif
#ifdef AF_NETBEUI
    K(AF_NETBEUI),
#endif
#ifdef AF_SECURITY
    K(AF_SECURITY),
#endif
#ifdef AF_KEY
    K(AF_KEY),
#endif
#ifdef AF_NETLINK
    K(AF_NETLINK),
#endif
#ifdef AF_ROUTE
    K(AF_ROUTE),
#endif
#ifdef AF_PACKET
    K(AF_PACKET),
#endif
#ifdef AF_ASH
    K(AF_ASH),
#endif
#ifdef AF_ECONET
    K(AF_ECONET),
#endif
#ifdef AF_ATMSVC
    K(AF_ATMSVC),
#endif
#ifdef AF_RDS
    K(AF_RDS),
#endif
#ifdef AF_SNA
    K(AF_SNA),
#endif
#ifdef AF_IRDA
    K(AF_IRDA),
#endif
#ifdef AF_PPPOX
    K(AF_PPPOX),
#endif
#ifdef AF_WANPIPE
    K(AF_WANPIPE),
#endif
#ifdef AF_LLC
    K(AF_LLC),
#endif
#ifdef AF_IB
    K(AF_IB),
#endif
#ifdef AF_MPLS
    K(AF_MPLS),
#endif
#ifdef AF_CAN
    K(AF_CAN),
#endif
#ifdef AF_TIPC
    K(AF_TIPC),
#endif
#ifdef AF_BLUETOOTH
    K(AF_BLUETOOTH),
#endif
#ifdef AF_IUCV
    K(AF_IUCV),
#endif
#ifdef AF_RXRPC
    K(AF_RXRPC),
#endif
#ifdef AF_ISDN
    K(AF_ISDN),
#endif
#ifdef AF_PHONET
    K(AF_PHONET),
#endif
#ifdef AF_IEEE802154
    K(AF_IEEE802154),
#endif
#ifdef AF_CAIF
    K(AF_CAIF),
#endif
#ifdef AF_ALG
    K(AF_ALG),
#endif
#ifdef AF_NFC
    K(AF_NFC),
#endif
#ifdef AF_VSOCK
    K(AF_VSOCK),
#endif
#ifdef AF_KCM
    K(AF_KCM),
#endif
#ifdef AF_QIPCRTR
    K(AF_QIPCRTR),
#endif
#ifdef AF_SMC
    K(AF_SMC),
#endif
#ifdef AF_XDP
    K(AF_XDP),
#endif
#ifdef AF_MCTP
    K(AF_MCTP),
#endif
    /* Socket types (SOCK_NONBLOCK / SOCK_CLOEXEC are flags or-ed into the type) */
#ifdef SOCK_STREAM
    K(SOCK_STREAM),
#endif
#ifdef SOCK_DGRAM
    K(SOCK_DGRAM),
#endif
#ifdef SOCK_RAW
    K(SOCK_RAW),
#endif
#ifdef SOCK_RDM
    K(SOCK_RDM),
#endif
#ifdef SOCK_SEQPACKET
    K(SOCK_SEQPACKET),
#endif
#ifdef SOCK_DCCP
    K(SOCK_DCCP),
#endif
#ifdef SOCK_PACKET
    K(SOCK_PACKET),
#endif
#ifdef SOCK_NONBLOCK
    K(SOCK_NONBLOCK),
#endif
#ifdef SOCK_CLOEXEC
    K(SOCK_CLOEXEC),
#endif
    /* Socket options */
#ifdef SO_DEBUG
    K(SO_DEBUG),
#endif
#ifdef SO_ACCEPTCONN
    K(SO_ACCEPTCONN),
#endif
#ifdef SO_REUSEADDR
    K(SO_REUSEADDR),
#endif
#ifdef SO_EXCLUSIVEADDRUSE
    K(SO_EXCLUSIVEADDRUSE),
#endif
#ifdef SO_KEEPALIVE
    K(SO_KEEPALIVE),
#endif
#ifdef SO_DONTROUTE
    K(SO_DONTROUTE),
#endif
#ifdef SO_BROADCAST
    K(SO_BROADCAST),
#endif
#ifdef SO_USELOOPBACK
    K(SO_USELOOPBACK),
#endif
#ifdef SO_LINGER
    K(SO_LINGER),
#endif
#ifdef SO_OOBINLINE
    K(SO_OOBINLINE),
#endif
#ifdef SO_REUSEPORT
    K(SO_REUSEPORT),
#endif
#ifdef SO_SNDBUF
    K(SO_SNDBUF),
#endif
#ifdef SO_RCVBUF
    K(SO_RCVBUF),
#endif
#ifdef SO_SNDBUFFORCE
    K(SO_SNDBUFFORCE),
#endif
#ifdef SO_RCVBUFFORCE
    K(SO_RCVBUFFORCE),
#endif
#ifdef SO_SNDLOWAT
    K(SO_SNDLOWAT),
#endif
#ifdef SO_RCVLOWAT
    K(SO_RCVLOWAT),
#endif
#ifdef SO_SNDTIMEO
    K(SO_SNDTIMEO),
#endif
#ifdef SO_RCVTIMEO
    K(SO_RCVTIMEO),
#endif
#ifdef SO_ERROR
    K(SO_ERROR),
#endif
#ifdef SO_TYPE
    K(SO_TYPE),
#endif
#ifdef SO_NO_CHECK
    K(SO_NO_CHECK),
#endif
#ifdef SO_PRIORITY
    K(SO_PRIORITY),
#endif
#ifdef SO_BSDCOMPAT
    K(SO_BSDCOMPAT),
#endif
#ifdef SO_PASSCRED
    K(SO_PASSCRED),
#endif
#ifdef SO_PEERCRED
    K(SO_PEERCRED),
#endif
#ifdef SO_SECURITY_AUTHENTICATION
    K(SO_SECURITY_AUTHENTICATION),
#endif
#ifdef SO_SECURITY_ENCRYPTION_TRANSPORT
    K(SO_SECURITY_ENCRYPTION_TRANSPORT),
#endif
#ifdef SO_SECURITY_ENCRYPTION_NETWORK
    K(SO_SECURITY_ENCRYPTION_NETWORK),
#endif
#ifdef SO_BINDTODEVICE
    K(SO_BINDTODEVICE),
#endif
#ifdef SO_BINDTOIFINDEX
    K(SO_BINDTOIFINDEX),
#endif
#ifdef SO_ATTACH_FILTER
    K(SO_ATTACH_FILTER),
#endif
#ifdef SO_DETACH_FILTER
    K(SO_DETACH_FILTER),
#endif
#ifdef SO_GET_FILTER
    K(SO_GET_FILTER),
#endif
#ifdef SO_PEERNAME
    K(SO_PEERNAME),
#endif
#ifdef SO_TIMESTAMP
    K(SO_TIMESTAMP),
#endif
#ifdef SO_TIMESTAMPNS
    K(SO_TIMESTAMPNS),
#endif
#ifdef SO_TIMESTAMPING
    K(SO_TIMESTAMPING),
#endif
#ifdef SO_PEERSEC
    K(SO_PEERSEC),
#endif
#ifdef SO_PASSSEC
    K(SO_PASSSEC),
#endif
#ifdef SO_MARK
    K(SO_MARK),
#endif
#ifdef SO_PROTOCOL
    K(SO_PROTOCOL),
#endif
#ifdef SO_DOMAIN
    K(SO_DOMAIN),
#endif
#ifdef SO_RXQ_OVFL
    K(SO_RXQ_OVFL),
#endif
#ifdef SO_WIFI_STATUS
    K(SO_WIFI_STATUS),
#endif
#ifdef SO_PEEK_OFF
    K(SO_PEEK_OFF),
#endif
#ifdef SO_NOFCS
    K(SO_NOFCS),
#endif
#ifdef SO_LOCK_FILTER
    K(SO_LOCK_FILTER),
#endif
#ifdef SO_SELECT_ERR_QUEUE
    K(SO_SELECT_ERR_QUEUE),
#endif
#ifdef SO_BUSY_POLL
    K(SO_BUSY_POLL),
#endif
#ifdef SO_MAX_PACING_RATE
    K(SO_MAX_PACING_RATE),
#endif
#ifdef SO_BPF_EXTENSIONS
    K(SO_BPF_EXTENSIONS),
#endif
#ifdef SO_INCOMING_CPU
    K(SO_INCOMING_CPU),
#endif
#ifdef SO_ATTACH_BPF
    K(SO_ATTACH_BPF),
#endif
#ifdef SO_DETACH_BPF
    K(SO_DETACH_BPF),
#endif
#ifdef SO_ATTACH_REUSEPORT_CBPF
    K(SO_ATTACH_REUSEPORT_CBPF),
#endif
#ifdef SO_ATTACH_REUSEPORT_EBPF
    K(SO_ATTACH_REUSEPORT_EBPF),
#endif
#ifdef SO_CNX_ADVICE
    K(SO_CNX_ADVICE),
#endif
#ifdef SO_MEMINFO
    K(SO_MEMINFO),
#endif
#ifdef SO_INCOMING_NAPI_ID
    K(SO_INCOMING_NAPI_ID),
#endif
#ifdef SO_COOKIE
    K(SO_COOKIE),
#endif
#ifdef SO_PEERGROUPS
    K(SO_PEERGROUPS),
#endif
#ifdef SO_ZEROCOPY
    K(SO_ZEROCOPY),
#endif
#ifdef SO_TXTIME
    K(SO_TXTIME),
#endif
#ifdef SO_DETACH_REUSEPORT_BPF
    K(SO_DETACH_REUSEPORT_BPF),
#endif
#ifdef SO_PREFER_BUSY_POLL
    K(SO_PREFER_BUSY_POLL),
#endif
#ifdef SO_BUSY_POLL_BUDGET
    K(SO_BUSY_POLL_BUDGET),
#endif
#ifdef SO_NETNS_COOKIE
    K(SO_NETNS_COOKIE),
#endif
#ifdef SO_BUF_LOCK
    K(SO_BUF_LOCK),
#endif
#ifdef SO_RESERVE_MEM
    K(SO_RESERVE_MEM),
#endif
#ifdef SO_TXREHASH
    K(SO_TXREHASH),
#endif
#ifdef SO_RCVMARK
    K(SO_RCVMARK),
#endif
#ifdef SO_VM_SOCKETS_BUFFER_SIZE
    K(SO_VM_SOCKETS_BUFFER_SIZE),
#endif
#ifdef SO_VM_SOCKETS_BUFFER_MIN_SIZE
    K(SO_VM_SOCKETS_BUFFER_MIN_SIZE),
#endif
#ifdef SO_VM_SOCKETS_BUFFER_MAX_SIZE
    K(SO_VM_SOCKETS_BUFFER_MAX_SIZE),
#endif
#ifdef POLYSOCK_HAVE_J1939
    /* enum members, not macros: present with the header */
    K(SO_J1939_FILTER),
    K(SO_J1939_PROMISC),
    K(SO_J1939_SEND_PRIO),
    K(SO_J1939_ERRQUEUE),
#endif
#ifdef SOMAXCONN
    K(SOMAXCONN),
#endif
    /* Message flags */
#ifdef MSG_OOB
    K(MSG_OOB),
#endif
#ifdef MSG_PEEK
    K(MSG_PEEK),
#endif
#ifdef MSG_DONTROUTE
    K(MSG_DONTROUTE),
#endif
#ifdef MSG_DONTWAIT
    K(MSG_DONTWAIT),
#endif
#ifdef MSG_EOR
    K(MSG_EOR),
#endif
#ifdef MSG_TRUNC
    K(MSG_TRUNC),
#endif
#ifdef MSG_CTRUNC
    K(MSG_CTRUNC),
#endif
#ifdef MSG_WAITALL
    K(MSG_WAITALL),
#endif
#ifdef MSG_BTAG
    K(MSG_BTAG),
#endif
#ifdef MSG_ETAG
    K(MSG_ETAG),
#endif
#ifdef MSG_NOSIGNAL
    K(MSG_NOSIGNAL),
#endif
#ifdef MSG_NOTIFICATION
    K(MSG_NOTIFICATION),
#endif
#ifdef MSG_CMSG_CLOEXEC
    K(MSG_CMSG_CLOEXEC),
#endif
#ifdef MSG_ERRQUEUE
    K(MSG_ERRQUEUE),
#endif
#ifdef MSG_CONFIRM
    K(MSG_CONFIRM),
#endif
#ifdef MSG_MORE
    K(MSG_MORE),
#endif
#ifdef MSG_EOF
    K(MSG_EOF),
#endif
#ifdef MSG_BCAST
    K(MSG_BCAST),
#endif
#ifdef MSG_MCAST
    K(MSG_MCAST),
#endif
#ifdef MSG_FASTOPEN
    K(MSG_FASTOPEN),
#endif
#ifdef MSG_PROXY
    K(MSG_PROXY),
#endif
#ifdef MSG_FIN
    K(MSG_FIN),
#endif
#ifdef MSG_SYN
    K(MSG_SYN),
#endif
#ifdef MSG_RST
    K(MSG_RST),
#endif
#ifdef MSG_WAITFORONE
    K(MSG_WAITFORONE),
#endif
#ifdef MSG_BATCH
    K(MSG_BATCH),
#endif
#ifdef MSG_ZEROCOPY
    K(MSG_ZEROCOPY),
#endif
    /* Option levels (SOL_IP, SOL_TCP and SOL_UDP get CPython's defaults below when missing) */
#ifdef SOL_SOCKET
    K(SOL_SOCKET),
#endif
#ifdef SOL_IP
    K(SOL_IP),
#else
    {"SOL_IP", 0},
#endif
#ifdef SOL_TCP
    K(SOL_TCP),
#else
    {"SOL_TCP", 6},
#endif
#ifdef SOL_UDP
    K(SOL_UDP),
#else
    {"SOL_UDP", 17},
#endif
#ifdef SOL_IPX
    K(SOL_IPX),
#endif
#ifdef SOL_AX25
    K(SOL_AX25),
#endif
#ifdef SOL_ATALK
    K(SOL_ATALK),
#endif
#ifdef SOL_NETROM
    K(SOL_NETROM),
#endif
#ifdef SOL_ROSE
    K(SOL_ROSE),
#endif
#ifdef SOL_IPV6
    K(SOL_IPV6),
#endif
#ifdef SOL_ICMPV6
    K(SOL_ICMPV6),
#endif
#ifdef SOL_RAW
    K(SOL_RAW),
#endif
#ifdef SOL_DECNET
    K(SOL_DECNET),
#endif
#ifdef SOL_X25
    K(SOL_X25),
#endif
#ifdef SOL_PACKET
    K(SOL_PACKET),
#endif
#ifdef SOL_ATM
    K(SOL_ATM),
#endif
#ifdef SOL_AAL
    K(SOL_AAL),
#endif
#ifdef SOL_IRDA
    K(SOL_IRDA),
#endif
#ifdef SOL_NETBEUI
    K(SOL_NETBEUI),
#endif
#ifdef SOL_LLC
    K(SOL_LLC),
#endif
#ifdef SOL_DCCP
    K(SOL_DCCP),
#endif
#ifdef SOL_NETLINK
    K(SOL_NETLINK),
#endif
#ifdef SOL_TIPC
    K(SOL_TIPC),
#endif
#ifdef SOL_RXRPC
    K(SOL_RXRPC),
#endif
#ifdef SOL_PPPOL2TP
    K(SOL_PPPOL2TP),
#endif
#ifdef SOL_BLUETOOTH
    K(SOL_BLUETOOTH),
#endif
#ifdef SOL_PNPIPE
    K(SOL_PNPIPE),
#endif
#ifdef SOL_RDS
    K(SOL_RDS),
#endif
#ifdef SOL_IUCV
    K(SOL_IUCV),
#endif
#ifdef SOL_CAIF
    K(SOL_CAIF),
#endif
#ifdef SOL_ALG
    K(SOL_ALG),
#endif
#ifdef SOL_NFC
    K(SOL_NFC),
#endif
#ifdef SOL_KCM
    K(SOL_KCM),
#endif
#ifdef SOL_TLS
    K(SOL_TLS),
#endif
#ifdef SOL_XDP
    K(SOL_XDP),
#endif
#ifdef SOL_MPTCP
    K(SOL_MPTCP),
#endif
#ifdef SOL_MCTP
    K(SOL_MCTP),
#endif
#ifdef SOL_SMC
    K(SOL_SMC),
#endif
#ifdef SOL_CAN_BASE
    K(SOL_CAN_BASE),
#endif
#ifdef SOL_CAN_RAW
    K(SOL_CAN_RAW),
#endif
#ifdef SOL_CAN_J1939
    K(SOL_CAN_J1939),
#endif
    /* IP protocols */
#ifdef IPPROTO_IP
    K(IPPROTO_IP),
#endif
#ifdef IPPROTO_HOPOPTS
    K(IPPROTO_HOPOPTS),
#endif
#ifdef IPPROTO_ICMP
    K(IPPROTO_ICMP),
#endif
#ifdef IPPROTO_IGMP
    K(IPPROTO_IGMP),
#endif
#ifdef IPPROTO_GGP
    K(IPPROTO_GGP),
#endif
#ifdef IPPROTO_IPV4
    K(IPPROTO_IPV4),
#endif
#ifdef IPPROTO_IPV6
    K(IPPROTO_IPV6),
#endif
#ifdef IPPROTO_IPIP
    K(IPPROTO_IPIP),
#endif
#ifdef IPPROTO_TCP
    K(IPPROTO_TCP),
#endif
#ifdef IPPROTO_EGP
    K(IPPROTO_EGP),
#endif
#ifdef IPPROTO_PUP
    K(IPPROTO_PUP),
#endif
#ifdef IPPROTO_UDP
    K(IPPROTO_UDP),
#endif
#ifdef IPPROTO_UDPLITE
    K(IPPROTO_UDPLITE),
#endif
#ifdef IPPROTO_IDP
    K(IPPROTO_IDP),
#endif
#ifdef IPPROTO_HELLO
    K(IPPROTO_HELLO),
#endif
#ifdef IPPROTO_ND
    K(IPPROTO_ND),
#endif
#ifdef IPPROTO_TP
    K(IPPROTO_TP),
#endif
#ifdef IPPROTO_ROUTING
    K(IPPROTO_ROUTING),
#endif
#ifdef IPPROTO_FRAGMENT
    K(IPPROTO_FRAGMENT),
#endif
#ifdef IPPROTO_RSVP
    K(IPPROTO_RSVP),
#endif
#ifdef IPPROTO_GRE
    K(IPPROTO_GRE),
#endif
#ifdef IPPROTO_ESP
    K(IPPROTO_ESP),
#endif
#ifdef IPPROTO_AH
    K(IPPROTO_AH),
#endif
#ifdef IPPROTO_MOBILE
    K(IPPROTO_MOBILE),
#endif
#ifdef IPPROTO_ICMPV6
    K(IPPROTO_ICMPV6),
#endif
#ifdef IPPROTO_NONE
    K(IPPROTO_NONE),
#endif
#ifdef IPPROTO_DSTOPTS
    K(IPPROTO_DSTOPTS),
#endif
#ifdef IPPROTO_XTP
    K(IPPROTO_XTP),
#endif
#ifdef IPPROTO_EON
    K(IPPROTO_EON),
#endif
#ifdef IPPROTO_PIM
    K(IPPROTO_PIM),
#endif
#ifdef IPPROTO_IPCOMP
    K(IPPROTO_IPCOMP),
#endif
#ifdef IPPROTO_VRRP
    K(IPPROTO_VRRP),
#endif
#ifdef IPPROTO_SCTP
    K(IPPROTO_SCTP),
#endif
#ifdef IPPROTO_BIP
    K(IPPROTO_BIP),
#endif
#ifdef IPPROTO_CBT
    K(IPPROTO_CBT),
#endif
#ifdef IPPROTO_IGP
    K(IPPROTO_IGP),
#endif
#ifdef IPPROTO_RDP
    K(IPPROTO_RDP),
#endif
#ifdef IPPROTO_DCCP
    K(IPPROTO_DCCP),
#endif
#ifdef IPPROTO_MTP
    K(IPPROTO_MTP),
#endif
#ifdef IPPROTO_BEETPH
    K(IPPROTO_BEETPH),
#endif
#ifdef IPPROTO_ENCAP
    K(IPPROTO_ENCAP),
#endif
#ifdef IPPROTO_COMP
    K(IPPROTO_COMP),
#endif
#ifdef IPPROTO_MPLS
    K(IPPROTO_MPLS),
#endif
#ifdef IPPROTO_ETHERNET
    K(IPPROTO_ETHERNET),
#endif
#ifdef IPPROTO_MH
    K(IPPROTO_MH),
#endif
#ifdef IPPROTO_MPTCP
    K(IPPROTO_MPTCP),
#endif
#ifdef IPPROTO_RAW
    K(IPPROTO_RAW),
#endif
#ifdef IPPROTO_MAX
    K(IPPROTO_MAX),
#endif
    /* Reserved port limits: glibc has them only as enum members, so (like
     * CPython, which tests them with #ifdef) the classic BSD values. */
    {"IPPORT_RESERVED", 1024},
    {"IPPORT_USERRESERVED", 5000},
    /* Special IPv4 addresses (host byte order) */
#ifdef INADDR_ANY
    K(INADDR_ANY),
#endif
#ifdef INADDR_BROADCAST
    K(INADDR_BROADCAST),
#endif
#ifdef INADDR_LOOPBACK
    K(INADDR_LOOPBACK),
#endif
#ifdef INADDR_NONE
    K(INADDR_NONE),
#endif
#ifdef INADDR_UNSPEC_GROUP
    K(INADDR_UNSPEC_GROUP),
#endif
#ifdef INADDR_ALLHOSTS_GROUP
    K(INADDR_ALLHOSTS_GROUP),
#endif
#ifdef INADDR_ALLRTRS_GROUP
    K(INADDR_ALLRTRS_GROUP),
#endif
#ifdef INADDR_ALLSNOOPERS_GROUP
    K(INADDR_ALLSNOOPERS_GROUP),
#endif
#ifdef INADDR_MAX_LOCAL_GROUP
    K(INADDR_MAX_LOCAL_GROUP),
#endif
#ifdef INADDR_DUMMY
    K(INADDR_DUMMY),
#endif
    /* IPv4 options */
#ifdef IP_OPTIONS
    K(IP_OPTIONS),
#endif
#ifdef IP_HDRINCL
    K(IP_HDRINCL),
#endif
#ifdef IP_TOS
    K(IP_TOS),
#endif
#ifdef IP_TTL
    K(IP_TTL),
#endif
#ifdef IP_RECVOPTS
    K(IP_RECVOPTS),
#endif
#ifdef IP_RECVRETOPTS
    K(IP_RECVRETOPTS),
#endif
#ifdef IP_RECVDSTADDR
    K(IP_RECVDSTADDR),
#endif
#ifdef IP_RETOPTS
    K(IP_RETOPTS),
#endif
#ifdef IP_MULTICAST_IF
    K(IP_MULTICAST_IF),
#endif
#ifdef IP_MULTICAST_TTL
    K(IP_MULTICAST_TTL),
#endif
#ifdef IP_MULTICAST_LOOP
    K(IP_MULTICAST_LOOP),
#endif
#ifdef IP_ADD_MEMBERSHIP
    K(IP_ADD_MEMBERSHIP),
#endif
#ifdef IP_DROP_MEMBERSHIP
    K(IP_DROP_MEMBERSHIP),
#endif
#ifdef IP_DEFAULT_MULTICAST_TTL
    K(IP_DEFAULT_MULTICAST_TTL),
#endif
#ifdef IP_DEFAULT_MULTICAST_LOOP
    K(IP_DEFAULT_MULTICAST_LOOP),
#endif
#ifdef IP_MAX_MEMBERSHIPS
    K(IP_MAX_MEMBERSHIPS),
#endif
#ifdef IP_TRANSPARENT
    K(IP_TRANSPARENT),
#endif
#ifdef IP_UNBLOCK_SOURCE
    K(IP_UNBLOCK_SOURCE),
#endif
#ifdef IP_BLOCK_SOURCE
    K(IP_BLOCK_SOURCE),
#endif
#ifdef IP_ADD_SOURCE_MEMBERSHIP
    K(IP_ADD_SOURCE_MEMBERSHIP),
#endif
#ifdef IP_DROP_SOURCE_MEMBERSHIP
    K(IP_DROP_SOURCE_MEMBERSHIP),
#endif
#ifdef IP_MSFILTER
    K(IP_MSFILTER),
#endif
#ifdef IP_MULTICAST_ALL
    K(IP_MULTICAST_ALL),
#endif
#ifdef IP_UNICAST_IF
    K(IP_UNICAST_IF),
#endif
#ifdef IP_ROUTER_ALERT
    K(IP_ROUTER_ALERT),
#endif
#ifdef IP_PKTINFO
    K(IP_PKTINFO),
#endif
#ifdef IP_PKTOPTIONS
    K(IP_PKTOPTIONS),
#endif
#ifdef IP_PMTUDISC
    K(IP_PMTUDISC),
#endif
#ifdef IP_MTU_DISCOVER
    K(IP_MTU_DISCOVER),
#endif
#ifdef IP_RECVERR
    K(IP_RECVERR),
#endif
#ifdef IP_RECVTTL
    K(IP_RECVTTL),
#endif
#ifdef IP_RECVTOS
    K(IP_RECVTOS),
#endif
#ifdef IP_MTU
    K(IP_MTU),
#endif
#ifdef IP_FREEBIND
    K(IP_FREEBIND),
#endif
#ifdef IP_IPSEC_POLICY
    K(IP_IPSEC_POLICY),
#endif
#ifdef IP_XFRM_POLICY
    K(IP_XFRM_POLICY),
#endif
#ifdef IP_PASSSEC
    K(IP_PASSSEC),
#endif
#ifdef IP_ORIGDSTADDR
    K(IP_ORIGDSTADDR),
#endif
#ifdef IP_RECVORIGDSTADDR
    K(IP_RECVORIGDSTADDR),
#endif
#ifdef IP_MINTTL
    K(IP_MINTTL),
#endif
#ifdef IP_NODEFRAG
    K(IP_NODEFRAG),
#endif
#ifdef IP_CHECKSUM
    K(IP_CHECKSUM),
#endif
#ifdef IP_BIND_ADDRESS_NO_PORT
    K(IP_BIND_ADDRESS_NO_PORT),
#endif
#ifdef IP_RECVFRAGSIZE
    K(IP_RECVFRAGSIZE),
#endif
#ifdef IP_RECVERR_RFC4884
    K(IP_RECVERR_RFC4884),
#endif
#ifdef IP_PMTUDISC_DONT
    K(IP_PMTUDISC_DONT),
#endif
#ifdef IP_PMTUDISC_WANT
    K(IP_PMTUDISC_WANT),
#endif
#ifdef IP_PMTUDISC_DO
    K(IP_PMTUDISC_DO),
#endif
#ifdef IP_PMTUDISC_PROBE
    K(IP_PMTUDISC_PROBE),
#endif
#ifdef IP_PMTUDISC_INTERFACE
    K(IP_PMTUDISC_INTERFACE),
#endif
#ifdef IP_PMTUDISC_OMIT
    K(IP_PMTUDISC_OMIT),
#endif
    /* IPv6 options */
#ifdef IPV6_JOIN_GROUP
    K(IPV6_JOIN_GROUP),
#endif
#ifdef IPV6_LEAVE_GROUP
    K(IPV6_LEAVE_GROUP),
#endif
#ifdef IPV6_MULTICAST_HOPS
    K(IPV6_MULTICAST_HOPS),
#endif
#ifdef IPV6_MULTICAST_IF
    K(IPV6_MULTICAST_IF),
#endif
#ifdef IPV6_MULTICAST_LOOP
    K(IPV6_MULTICAST_LOOP),
#endif
#ifdef IPV6_UNICAST_HOPS
    K(IPV6_UNICAST_HOPS),
#endif
#ifdef IPV6_V6ONLY
    K(IPV6_V6ONLY),
#endif
#ifdef IPV6_CHECKSUM
    K(IPV6_CHECKSUM),
#endif
#ifdef IPV6_DONTFRAG
    K(IPV6_DONTFRAG),
#endif
#ifdef IPV6_DSTOPTS
    K(IPV6_DSTOPTS),
#endif
#ifdef IPV6_HOPLIMIT
    K(IPV6_HOPLIMIT),
#endif
#ifdef IPV6_HOPOPTS
    K(IPV6_HOPOPTS),
#endif
#ifdef IPV6_NEXTHOP
    K(IPV6_NEXTHOP),
#endif
#ifdef IPV6_PATHMTU
    K(IPV6_PATHMTU),
#endif
#ifdef IPV6_PKTINFO
    K(IPV6_PKTINFO),
#endif
#ifdef IPV6_RECVDSTOPTS
    K(IPV6_RECVDSTOPTS),
#endif
#ifdef IPV6_RECVHOPLIMIT
    K(IPV6_RECVHOPLIMIT),
#endif
#ifdef IPV6_RECVHOPOPTS
    K(IPV6_RECVHOPOPTS),
#endif
#ifdef IPV6_RECVPKTINFO
    K(IPV6_RECVPKTINFO),
#endif
#ifdef IPV6_RECVRTHDR
    K(IPV6_RECVRTHDR),
#endif
#ifdef IPV6_RECVTCLASS
    K(IPV6_RECVTCLASS),
#endif
#ifdef IPV6_RTHDR
    K(IPV6_RTHDR),
#endif
#ifdef IPV6_RTHDRDSTOPTS
    K(IPV6_RTHDRDSTOPTS),
#endif
#ifdef IPV6_RTHDR_TYPE_0
    K(IPV6_RTHDR_TYPE_0),
#endif
#ifdef IPV6_RTHDR_LOOSE
    K(IPV6_RTHDR_LOOSE),
#endif
#ifdef IPV6_RTHDR_STRICT
    K(IPV6_RTHDR_STRICT),
#endif
#ifdef IPV6_RECVPATHMTU
    K(IPV6_RECVPATHMTU),
#endif
#ifdef IPV6_TCLASS
    K(IPV6_TCLASS),
#endif
#ifdef IPV6_USE_MIN_MTU
    K(IPV6_USE_MIN_MTU),
#endif
#ifdef IPV6_ADDRFORM
    K(IPV6_ADDRFORM),
#endif
#ifdef IPV6_2292PKTINFO
    K(IPV6_2292PKTINFO),
#endif
#ifdef IPV6_2292HOPOPTS
    K(IPV6_2292HOPOPTS),
#endif
#ifdef IPV6_2292DSTOPTS
    K(IPV6_2292DSTOPTS),
#endif
#ifdef IPV6_2292RTHDR
    K(IPV6_2292RTHDR),
#endif
#ifdef IPV6_2292PKTOPTIONS
    K(IPV6_2292PKTOPTIONS),
#endif
#ifdef IPV6_2292HOPLIMIT
    K(IPV6_2292HOPLIMIT),
#endif
#ifdef IPV6_AUTHHDR
    K(IPV6_AUTHHDR),
#endif
#ifdef IPV6_ADD_MEMBERSHIP
    K(IPV6_ADD_MEMBERSHIP),
#endif
#ifdef IPV6_DROP_MEMBERSHIP
    K(IPV6_DROP_MEMBERSHIP),
#endif
#ifdef IPV6_ROUTER_ALERT
    K(IPV6_ROUTER_ALERT),
#endif
#ifdef IPV6_MTU_DISCOVER
    K(IPV6_MTU_DISCOVER),
#endif
#ifdef IPV6_MTU
    K(IPV6_MTU),
#endif
#ifdef IPV6_RECVERR
    K(IPV6_RECVERR),
#endif
#ifdef IPV6_JOIN_ANYCAST
    K(IPV6_JOIN_ANYCAST),
#endif
#ifdef IPV6_LEAVE_ANYCAST
    K(IPV6_LEAVE_ANYCAST),
#endif
#ifdef IPV6_MULTICAST_ALL
    K(IPV6_MULTICAST_ALL),
#endif
#ifdef IPV6_ROUTER_ALERT_ISOLATE
    K(IPV6_ROUTER_ALERT_ISOLATE),
#endif
#ifdef IPV6_RECVERR_RFC4884
    K(IPV6_RECVERR_RFC4884),
#endif
#ifdef IPV6_IPSEC_POLICY
    K(IPV6_IPSEC_POLICY),
#endif
#ifdef IPV6_XFRM_POLICY
    K(IPV6_XFRM_POLICY),
#endif
#ifdef IPV6_HDRINCL
    K(IPV6_HDRINCL),
#endif
#ifdef IPV6_RXHOPOPTS
    K(IPV6_RXHOPOPTS),
#endif
#ifdef IPV6_RXDSTOPTS
    K(IPV6_RXDSTOPTS),
#endif
#ifdef IPV6_AUTOFLOWLABEL
    K(IPV6_AUTOFLOWLABEL),
#endif
#ifdef IPV6_ADDR_PREFERENCES
    K(IPV6_ADDR_PREFERENCES),
#endif
#ifdef IPV6_MINHOPCOUNT
    K(IPV6_MINHOPCOUNT),
#endif
#ifdef IPV6_ORIGDSTADDR
    K(IPV6_ORIGDSTADDR),
#endif
#ifdef IPV6_RECVORIGDSTADDR
    K(IPV6_RECVORIGDSTADDR),
#endif
#ifdef IPV6_TRANSPARENT
    K(IPV6_TRANSPARENT),
#endif
#ifdef IPV6_UNICAST_IF
    K(IPV6_UNICAST_IF),
#endif
#ifdef IPV6_RECVFRAGSIZE
    K(IPV6_RECVFRAGSIZE),
#endif
#ifdef IPV6_FREEBIND
    K(IPV6_FREEBIND),
#endif
#ifdef IPV6_PMTUDISC_DONT
    K(IPV6_PMTUDISC_DONT),
#endif
#ifdef IPV6_PMTUDISC_WANT
    K(IPV6_PMTUDISC_WANT),
#endif
#ifdef IPV6_PMTUDISC_DO
    K(IPV6_PMTUDISC_DO),
#endif
#ifdef IPV6_PMTUDISC_PROBE
    K(IPV6_PMTUDISC_PROBE),
#endif
#ifdef IPV6_PMTUDISC_INTERFACE
    K(IPV6_PMTUDISC_INTERFACE),
#endif
#ifdef IPV6_PMTUDISC_OMIT
    K(IPV6_PMTUDISC_OMIT),
#endif
    /* getaddrinfo / getnameinfo errors (negative on glibc) */
#ifdef EAI_ADDRFAMILY
    K(EAI_ADDRFAMILY),
#endif
#ifdef EAI_AGAIN
    K(EAI_AGAIN),
#endif
#ifdef EAI_BADFLAGS
    K(EAI_BADFLAGS),
#endif
#ifdef EAI_FAIL
    K(EAI_FAIL),
#endif
#ifdef EAI_FAMILY
    K(EAI_FAMILY),
#endif
#ifdef EAI_MEMORY
    K(EAI_MEMORY),
#endif
#ifdef EAI_NODATA
    K(EAI_NODATA),
#endif
#ifdef EAI_NONAME
    K(EAI_NONAME),
#endif
#ifdef EAI_OVERFLOW
    K(EAI_OVERFLOW),
#endif
#ifdef EAI_SERVICE
    K(EAI_SERVICE),
#endif
#ifdef EAI_SOCKTYPE
    K(EAI_SOCKTYPE),
#endif
#ifdef EAI_SYSTEM
    K(EAI_SYSTEM),
#endif
#ifdef EAI_BADHINTS
    K(EAI_BADHINTS),
#endif
#ifdef EAI_PROTOCOL
    K(EAI_PROTOCOL),
#endif
#ifdef EAI_MAX
    K(EAI_MAX),
#endif
#ifdef EAI_INPROGRESS
    K(EAI_INPROGRESS),
#endif
#ifdef EAI_CANCELED
    K(EAI_CANCELED),
#endif
#ifdef EAI_NOTCANCELED
    K(EAI_NOTCANCELED),
#endif
#ifdef EAI_ALLDONE
    K(EAI_ALLDONE),
#endif
#ifdef EAI_INTR
    K(EAI_INTR),
#endif
#ifdef EAI_IDN_ENCODE
    K(EAI_IDN_ENCODE),
#endif
    /* getaddrinfo flags (glibc's deprecated AI_IDN_ALLOW_UNASSIGNED and AI_IDN_USE_STD3_ASCII_RULES are
 * left out: naming them is a compile-time warning) */
#ifdef AI_PASSIVE
    K(AI_PASSIVE),
#endif
#ifdef AI_CANONNAME
    K(AI_CANONNAME),
#endif
#ifdef AI_NUMERICHOST
    K(AI_NUMERICHOST),
#endif
#ifdef AI_NUMERICSERV
    K(AI_NUMERICSERV),
#endif
#ifdef AI_MASK
    K(AI_MASK),
#endif
#ifdef AI_ALL
    K(AI_ALL),
#endif
#ifdef AI_V4MAPPED_CFG
    K(AI_V4MAPPED_CFG),
#endif
#ifdef AI_ADDRCONFIG
    K(AI_ADDRCONFIG),
#endif
#ifdef AI_V4MAPPED
    K(AI_V4MAPPED),
#endif
#ifdef AI_DEFAULT
    K(AI_DEFAULT),
#endif
#ifdef AI_IDN
    K(AI_IDN),
#endif
#ifdef AI_CANONIDN
    K(AI_CANONIDN),
#endif
    /* getnameinfo flags and sizes (the deprecated NI_IDN_* rules are left out, as above) */
#ifdef NI_MAXHOST
    K(NI_MAXHOST),
#endif
#ifdef NI_MAXSERV
    K(NI_MAXSERV),
#endif
#ifdef NI_NOFQDN
    K(NI_NOFQDN),
#endif
#ifdef NI_NUMERICHOST
    K(NI_NUMERICHOST),
#endif
#ifdef NI_NAMEREQD
    K(NI_NAMEREQD),
#endif
#ifdef NI_NUMERICSERV
    K(NI_NUMERICSERV),
#endif
#ifdef NI_DGRAM
    K(NI_DGRAM),
#endif
#ifdef NI_IDN
    K(NI_IDN),
#endif
    /* TCP options */
#ifdef TCP_NODELAY
    K(TCP_NODELAY),
#endif
#ifdef TCP_MAXSEG
    K(TCP_MAXSEG),
#endif
#ifdef TCP_CORK
    K(TCP_CORK),
#endif
#ifdef TCP_KEEPIDLE
    K(TCP_KEEPIDLE),
#endif
#ifdef TCP_KEEPINTVL
    K(TCP_KEEPINTVL),
#endif
#ifdef TCP_KEEPCNT
    K(TCP_KEEPCNT),
#endif
#ifdef TCP_SYNCNT
    K(TCP_SYNCNT),
#endif
#ifdef TCP_LINGER2
    K(TCP_LINGER2),
#endif
#ifdef TCP_DEFER_ACCEPT
    K(TCP_DEFER_ACCEPT),
#endif
#ifdef TCP_WINDOW_CLAMP
    K(TCP_WINDOW_CLAMP),
#endif
#ifdef TCP_INFO
    K(TCP_INFO),
#endif
#ifdef TCP_QUICKACK
    K(TCP_QUICKACK),
#endif
#ifdef TCP_CONGESTION
    K(TCP_CONGESTION),
#endif
#ifdef TCP_MD5SIG
    K(TCP_MD5SIG),
#endif
#ifdef TCP_COOKIE_TRANSACTIONS
    K(TCP_COOKIE_TRANSACTIONS),
#endif
#ifdef TCP_THIN_LINEAR_TIMEOUTS
    K(TCP_THIN_LINEAR_TIMEOUTS),
#endif
#ifdef TCP_THIN_DUPACK
    K(TCP_THIN_DUPACK),
#endif
#ifdef TCP_USER_TIMEOUT
    K(TCP_USER_TIMEOUT),
#endif
#ifdef TCP_REPAIR
    K(TCP_REPAIR),
#endif
#ifdef TCP_REPAIR_QUEUE
    K(TCP_REPAIR_QUEUE),
#endif
#ifdef TCP_QUEUE_SEQ
    K(TCP_QUEUE_SEQ),
#endif
#ifdef TCP_REPAIR_OPTIONS
    K(TCP_REPAIR_OPTIONS),
#endif
#ifdef TCP_FASTOPEN
    K(TCP_FASTOPEN),
#endif
#ifdef TCP_TIMESTAMP
    K(TCP_TIMESTAMP),
#endif
#ifdef TCP_NOTSENT_LOWAT
    K(TCP_NOTSENT_LOWAT),
#endif
#ifdef TCP_CC_INFO
    K(TCP_CC_INFO),
#endif
#ifdef TCP_SAVE_SYN
    K(TCP_SAVE_SYN),
#endif
#ifdef TCP_SAVED_SYN
    K(TCP_SAVED_SYN),
#endif
#ifdef TCP_REPAIR_WINDOW
    K(TCP_REPAIR_WINDOW),
#endif
#ifdef TCP_FASTOPEN_CONNECT
    K(TCP_FASTOPEN_CONNECT),
#endif
#ifdef TCP_ULP
    K(TCP_ULP),
#endif
#ifdef TCP_MD5SIG_EXT
    K(TCP_MD5SIG_EXT),
#endif
#ifdef TCP_FASTOPEN_KEY
    K(TCP_FASTOPEN_KEY),
#endif
#ifdef TCP_FASTOPEN_NO_COOKIE
    K(TCP_FASTOPEN_NO_COOKIE),
#endif
#ifdef TCP_ZEROCOPY_RECEIVE
    K(TCP_ZEROCOPY_RECEIVE),
#endif
#ifdef TCP_INQ
    K(TCP_INQ),
#endif
#ifdef TCP_CM_INQ
    K(TCP_CM_INQ),
#endif
#ifdef TCP_TX_DELAY
    K(TCP_TX_DELAY),
#endif
#ifdef TCP_KEEPALIVE
    K(TCP_KEEPALIVE),
#endif
#ifdef TCP_CONNECTION_INFO
    K(TCP_CONNECTION_INFO),
#endif
    /* shutdown() directions */
#ifdef SHUT_RD
    K(SHUT_RD),
#endif
#ifdef SHUT_WR
    K(SHUT_WR),
#endif
#ifdef SHUT_RDWR
    K(SHUT_RDWR),
#endif
    /* Netlink protocols (linux/netlink.h) */
#ifdef NETLINK_ROUTE
    K(NETLINK_ROUTE),
#endif
#ifdef NETLINK_USERSOCK
    K(NETLINK_USERSOCK),
#endif
#ifdef NETLINK_FIREWALL
    K(NETLINK_FIREWALL),
#endif
#ifdef NETLINK_SOCK_DIAG
    K(NETLINK_SOCK_DIAG),
#endif
#ifdef NETLINK_NFLOG
    K(NETLINK_NFLOG),
#endif
#ifdef NETLINK_XFRM
    K(NETLINK_XFRM),
#endif
#ifdef NETLINK_SELINUX
    K(NETLINK_SELINUX),
#endif
#ifdef NETLINK_ISCSI
    K(NETLINK_ISCSI),
#endif
#ifdef NETLINK_AUDIT
    K(NETLINK_AUDIT),
#endif
#ifdef NETLINK_FIB_LOOKUP
    K(NETLINK_FIB_LOOKUP),
#endif
#ifdef NETLINK_CONNECTOR
    K(NETLINK_CONNECTOR),
#endif
#ifdef NETLINK_NETFILTER
    K(NETLINK_NETFILTER),
#endif
#ifdef NETLINK_IP6_FW
    K(NETLINK_IP6_FW),
#endif
#ifdef NETLINK_DNRTMSG
    K(NETLINK_DNRTMSG),
#endif
#ifdef NETLINK_KOBJECT_UEVENT
    K(NETLINK_KOBJECT_UEVENT),
#endif
#ifdef NETLINK_GENERIC
    K(NETLINK_GENERIC),
#endif
#ifdef NETLINK_SCSITRANSPORT
    K(NETLINK_SCSITRANSPORT),
#endif
#ifdef NETLINK_ECRYPTFS
    K(NETLINK_ECRYPTFS),
#endif
#ifdef NETLINK_RDMA
    K(NETLINK_RDMA),
#endif
#ifdef NETLINK_CRYPTO
    K(NETLINK_CRYPTO),
#endif
#ifdef NETLINK_SMC
    K(NETLINK_SMC),
#endif
#ifdef NETLINK_INET_DIAG
    K(NETLINK_INET_DIAG),
#endif
#ifdef NETLINK_TAPBASE
    K(NETLINK_TAPBASE),
#endif

    /* polysock's own poller flags */
    K(POLYSOCK_POLLIN),
    K(POLYSOCK_POLLOUT),
    K(POLYSOCK_POLLERR),
    K(POLYSOCK_POLLHUP),
    K(POLYSOCK_POLLONESHOT),

    /* polysock's TLS protocol versions and info items */
    K(POLYSOCK_TLS_VERSION_1_2),
    K(POLYSOCK_TLS_VERSION_1_3),
    K(POLYSOCK_TLS_INFO_VERSION),
    K(POLYSOCK_TLS_INFO_CIPHER),
    K(POLYSOCK_TLS_INFO_ALPN),
    K(POLYSOCK_TLS_INFO_PEER_CERT),
    K(POLYSOCK_TLS_INFO_SUBJECT_ONELINE),
    K(POLYSOCK_TLS_INFO_ISSUER_ONELINE),
    K(POLYSOCK_TLS_INFO_SUBJECT_RFC4514),
    K(POLYSOCK_TLS_INFO_ISSUER_RFC4514),
    K(POLYSOCK_TLS_INFO_SUBJECT_FIELDS),
    K(POLYSOCK_TLS_INFO_ISSUER_FIELDS),
    K(POLYSOCK_TLS_INFO_ERROR),
    K(POLYSOCK_TLS_INFO_SERVER_HOSTNAME),
};

#define TABLE_SIZE (sizeof table / sizeof table[0])

size_t polysock_constant_count(void)
{
    return TABLE_SIZE;
}

const char *polysock_constant_name(size_t index)
{
    return index < TABLE_SIZE ? table[index].name : NULL;
}

int64_t polysock_constant_value(size_t index)
{
    return index < TABLE_SIZE ? table[index].value : 0;
}

/* A linear scan: a few hundred entries, looked up once per name by a
 * binding at load time. */
int polysock_constant_lookup(const char *name, int64_t *value)
{
    if (name == NULL || value == NULL)
        return POLYSOCK_ENULL;
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if (strcmp(table[i].name, name) == 0) {
            *value = table[i].value;
            return 0;
        }
    return POLYSOCK_EVALUE;
}
