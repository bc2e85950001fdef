// The names of test/tls/make-certs.sh's certificates in every form ssl()
// gives them: one-line (display), RFC 4514, and the structured form (RDNs
// of [attribute, value]).  Rebuilt from make-certs.sh and
// test/tls/odd-subject.h, never read back from the certificates.
'use strict';

const rdns = (...pairs) => pairs.map((p) => (Array.isArray(p[0]) ? p : [p]));

// "/C=US/O=..": the pairs in certificate order.
const oneline = (fields) => fields.map((rdn) => rdn.map(([a, v]) => `${SHORT[a]}=${v}`).join('+'))
    .map((r) => `/${r}`).join('');
// "CN=..,O=..": RFC 4514 lists the RDNs last first.
const rfc4514 = (fields) => fields.map((rdn) => rdn.map(([a, v]) => `${SHORT[a]}=${v}`).join('+'))
    .reverse().join(',');

const SHORT = {
    countryName: 'C', stateOrProvinceName: 'ST', localityName: 'L', organizationName: 'O',
    organizationalUnitName: 'OU', commonName: 'CN',
};

function plain(fields) {
    return { fields, oneline: oneline(fields), rfc4514: rfc4514(fields) };
}

const ca = plain(rdns(['countryName', 'US'], ['organizationName', 'polysock test'],
                      ['commonName', 'polysock test CA']));
const good = plain(rdns(['countryName', 'US'], ['stateOrProvinceName', 'California'],
                        ['localityName', 'Mountain View'], ['organizationName', 'polysock test'],
                        ['commonName', 'localhost']));
const client = plain(rdns(['countryName', 'US'], ['organizationName', 'polysock test'],
                          ['commonName', 'polysock test client']));

const units = [];
for (let i = 1; i <= 10; i++)
    units.push(['organizationalUnitName', `organizational unit ${String(i).padStart(2, '0')} of a subject longer than 512 bytes`]);
const long = plain(rdns(['countryName', 'US'], ['organizationName', 'polysock test'], ...units,
                        ['commonName', 'localhost']));

// Values with '/', ',', '+', '=', a NUL byte and UTF-8, and a multi-valued
// RDN.  The display form keeps every value as it is (UTF-8, NUL included),
// one "/" per attribute; RFC 4514 escapes its specials and NUL (section 2.4)
// and joins a multi-valued RDN with "+".
const odd = {
    fields: rdns(['countryName', 'US'], ['organizationName', 'polysock/test, Inc.'],
                 [['localityName', 'multi'], ['organizationalUnitName', 'a+b=c']],
                 ['stateOrProvinceName', 'Z\u00fcrich'], ['commonName', 'localhost\0/odd, name+x']),
    oneline: '/C=US/O=polysock/test, Inc./L=multi/OU=a+b=c/ST=Z\u00fcrich/CN=localhost\0/odd, name+x',
    rfc4514: 'CN=localhost\\00/odd\\, name\\+x,ST=Z\u00fcrich,OU=a\\+b=c+L=multi,O=polysock/test\\, Inc.,C=US',
};

module.exports = { ca, good, client, long, odd };
