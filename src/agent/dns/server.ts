/**
 * The cluster DNS server (the part of CoreDNS a cluster needs): UDP and TCP on one address, answers from
 * the API through informers. No forwarding: names outside the cluster domain get NXDOMAIN, so pods never
 * reach resolvers outside the machine through it.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import { resources, SharedInformerFactory, silentLogger } from '../../client/index.js';
import type { Client, EndpointSlice, Logger, Service, SharedInformer } from '../../client/index.js';
import { lookup, TTL } from './records.js';
import type { ClusterView } from './records.js';

const NXDOMAIN = 3;
const SERVFAIL = 2;
const NOTIMP = 4;
/** The largest UDP answer without EDNS (RFC 1035). */
const UDP_LIMIT = 512;

export interface DnsServerOptions {
  client: Client;
  address: string;
  port: number;
  clusterDomain?: string;
  log?: Logger;
  /** Share the caches of a server already started (instead of starting informers). */
  informersFrom?: ClusterDns;
}

const SERVICE_INDEX = 'service';

export class ClusterDns implements ClusterView {
  private services!: SharedInformer<Service>;
  private slicesInformer!: SharedInformer<EndpointSlice>;
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly domain: string;
  private readonly log: Logger;

  constructor(private readonly opts: DnsServerOptions) {
    this.domain = (opts.clusterDomain ?? 'cluster.local').replace(/\.$/, '').toLowerCase();
    this.log = opts.log ?? silentLogger;
    if (opts.informersFrom) {
      this.services = opts.informersFrom.services;
      this.slicesInformer = opts.informersFrom.slicesInformer;
    }
  }

  service(namespace: string, name: string): Service | undefined {
    return this.services.store.get(`${namespace}/${name}`);
  }

  slices(namespace: string, name: string): EndpointSlice[] {
    return this.slicesInformer.store.byIndex(SERVICE_INDEX, `${namespace}/${name}`);
  }

  /** Starts the informers and waits for their caches. */
  async startInformers(signal: AbortSignal): Promise<SharedInformerFactory> {
    const informers = new SharedInformerFactory(this.opts.client, { log: this.log });
    this.services = informers.informerFor(resources.services);
    this.slicesInformer = informers.informerFor(resources.endpointslices);
    this.slicesInformer.store.addIndexers({
      [SERVICE_INDEX]: (s) => {
        const svc = s.metadata.labels?.['kubernetes.io/service-name'];
        return svc ? [`${s.metadata.namespace}/${svc}`] : [];
      },
    });
    informers.start(signal);
    await informers.waitForCacheSync(signal);
    return informers;
  }

  /** Binds UDP and TCP; rejects (EADDRINUSE, EADDRNOTAVAIL, ...) when the address cannot be had. */
  async listen(): Promise<void> {
    const udp = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.opts.port, this.opts.address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    udp.on('error', (e) => this.log.warn({ err: e.message }, 'dns udp socket error'));
    udp.on('message', (msg, rinfo) => {
      const reply = this.answer(msg, UDP_LIMIT);
      if (reply) udp.send(reply, rinfo.port, rinfo.address);
    });
    const tcp = net.createServer((socket) => this.serveTcp(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        // The same port as UDP (which matters when port 0 let the system choose).
        tcp.listen(udp.address().port, this.opts.address, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    this.udp = udp;
    this.tcp = tcp;
  }

  /** The port actually bound (for port 0). */
  port(): number {
    return this.udp?.address().port ?? this.opts.port;
  }

  close(): void {
    this.udp?.close();
    this.tcp?.close();
    this.udp = undefined;
    this.tcp = undefined;
  }

  private serveTcp(socket: net.Socket): void {
    let buf = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const reply = this.answer(msg, 65_535);
        if (reply) {
          const head = Buffer.alloc(2);
          head.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([head, reply]));
        }
      }
    });
  }

  /** The wire reply to one wire query; undefined for what is not a query. */
  answer(msg: Buffer, limit: number): Buffer | undefined {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    if (query.type !== 'query') return undefined;
    const rd = query.flags !== undefined ? query.flags & dnsPacket.RECURSION_DESIRED : 0;
    const base: Packet = { type: 'response', id: query.id, questions: query.questions, answers: [], additionals: [], authorities: [] };
    const q = query.questions?.[0];
    if (!q || (query.questions?.length ?? 0) !== 1 || (query as { opcode?: string }).opcode !== 'QUERY') return dnsPacket.encode({ ...base, flags: rd | NOTIMP });
    let packet: Packet;
    try {
      const r = lookup(this, this.domain, q.name, q.type);
      const soa: Answer[] = r.answers.length === 0 ? [this.soa()] : [];
      packet = {
        ...base,
        flags: dnsPacket.AUTHORITATIVE_ANSWER | rd | (r.exists ? 0 : NXDOMAIN),
        answers: r.answers,
        additionals: r.additionals,
        authorities: soa,
      };
    } catch (e) {
      this.log.warn({ err: e instanceof Error ? e.message : String(e), name: q.name }, 'dns lookup failed');
      return dnsPacket.encode({ ...base, flags: rd | SERVFAIL });
    }
    let out = dnsPacket.encode(packet);
    if (out.length > limit) {
      // Too big for UDP: say so, the client asks again over TCP.
      out = dnsPacket.encode({ ...base, flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE });
    }
    return out;
  }

  private soa(): Answer {
    return {
      type: 'SOA',
      name: this.domain,
      ttl: TTL,
      class: 'IN',
      data: { mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: Math.floor(Date.now() / 1000) % 2 ** 31, refresh: 7200, retry: 1800, expire: 86400, minimum: TTL },
    };
  }
}
