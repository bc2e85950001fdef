// The typings of ssl() (lib/ssl.js), written by hand: index.d.ts and
// promises.d.ts (generated) import them.
/// <reference types="node" />

/** The options of ssl(sock, options). */
export interface SSLOptions {
    /** Client: the private key of certfile; server: the key of its chain
     * (default: in certfile). */
    keyfile?: string | null;
    /** Client: a certificate to present when asked; server (required): its
     * certificate chain, PEM. */
    certfile?: string | null;
    /** Accept connections instead of making them (default false). */
    serverSide?: boolean | null;
    /** The name to verify and send as SNI (default: the host given to
     * connect). */
    serverHostname?: string | null;
    /** Trust this PEM file instead of the system store. */
    cafile?: string | null;
    /** Trust this hashed directory instead of the system store. */
    capath?: string | null;
    /** Client only: false turns off certificate and host-name verification
     * (default true). */
    verify?: boolean | null;
    /** Server only: require a client certificate verified against
     * cafile/capath (default false). */
    requireClientCert?: boolean | null;
    /** ALPN protocols in preference order (each 1 to 255 bytes, no ","). */
    alpnProtocols?: readonly string[] | null;
    /** The lowest protocol version (default "TLSv1.2"). */
    minVersion?: 'TLSv1.2' | 'TLSv1.3' | number | null;
    /** A bare TCP FIN reads as a clean EOF instead of ETLS_EOF (default
     * false). */
    allowUnexpectedEof?: boolean | null;
    /** Run the handshake now (default true); else it runs at the first
     * read or write, or handshake(). */
    handshake?: boolean | null;
}

/** A name as a list of RDNs, each a list of [attribute, value] pairs
 * ("commonName", "organizationName", ...; values keep every character). */
export type DistinguishedName = Array<Array<[attribute: string, value: string]>>;

/** Data to write: a Buffer or any view of bytes; a string is written as
 * UTF-8. */
type Writable = Buffer | ArrayBufferView | ArrayBuffer | string;

/** A TLS connection of the synchronous API (ssl() of require("polysock")). */
export declare class SSLObject {
    private constructor();
    /** Run the handshake (ssl() does unless handshake: false). */
    handshake(): void;
    /** 1 to n bytes once any are there, an empty Buffer at a clean EOF
     * (close_notify); without n, everything until EOF. */
    read(n?: number): Buffer;
    /** The bytes written: all of them unless the socket is non-blocking. */
    write(data: Writable): number;
    /** The peer's subject, "/C=US/O=../CN=..": for display only, not for
     * parsing (values may hold "/" or "="): see peerSubject(). */
    server(): string | null;
    /** The peer's issuer, for display only: see peerIssuer(). */
    issuer(): string | null;
    peerSubject(): DistinguishedName | null;
    peerIssuer(): DistinguishedName | null;
    subjectRfc4514(): string | null;
    issuerRfc4514(): string | null;
    /** "TLSv1.3", "TLSv1.2"; null before the handshake. */
    version(): string | null;
    cipher(): string | null;
    /** The protocol ALPN selected, or null. */
    alpnProtocol(): string | null;
    /** The peer's certificate, DER, or null. */
    peerCertificate(): Buffer | null;
    /** Bytes decrypted and buffered, readable without waiting. */
    pending(): number;
    /** The socket's descriptor. */
    fileno(): number;
    /** Send close_notify (no wait) and free the connection; the socket stays
     * open (close it yourself). */
    close(): void;
    /** close(), then the socket. */
    unwrap<S>(): S;
}

/** A TLS connection of the Promise API (ssl() of
 * require("polysock/promises")): the same methods, returning Promises. */
export declare class PromiseSSLObject {
    private constructor();
    handshake(): Promise<void>;
    read(n?: number): Promise<Buffer>;
    write(data: Writable): Promise<number>;
    server(): Promise<string | null>;
    issuer(): Promise<string | null>;
    peerSubject(): Promise<DistinguishedName | null>;
    peerIssuer(): Promise<DistinguishedName | null>;
    subjectRfc4514(): Promise<string | null>;
    issuerRfc4514(): Promise<string | null>;
    version(): Promise<string | null>;
    cipher(): Promise<string | null>;
    alpnProtocol(): Promise<string | null>;
    peerCertificate(): Promise<Buffer | null>;
    pending(): Promise<number>;
    fileno(): Promise<number>;
    close(): Promise<void>;
    unwrap<S>(): Promise<S>;
}

/** ssl(sock, options) or the reference's ssl(sock, keyfile, certfile):
 * wrap a connected socket, verify the peer (by default) and handshake. */
export interface SSLFunction<Sock> {
    (sock: Sock, options?: SSLOptions): SSLObject;
    (sock: Sock, keyfile: string | null | undefined, certfile?: string | null, options?: SSLOptions): SSLObject;
}

export interface PromiseSSLFunction<Sock> {
    (sock: Sock, options?: SSLOptions): Promise<PromiseSSLObject>;
    (sock: Sock, keyfile: string | null | undefined, certfile?: string | null, options?: SSLOptions): Promise<PromiseSSLObject>;
}
