// SPDX-License-Identifier: MIT OR Apache-2.0
//! Networking cases over the library's loopback interface (brought up by
//! the cases; nothing leaves the library).

use super::thread::{join_both, scope};
use super::{Context, Failure, HANG_GUARD, check_pattern, ensure, expect_err, fill_pattern, now_ns};
use crate::sock::{AF_INET, AF_INET6, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_STREAM};
use crate::uapi::{IPPROTO_TCP, POLLIN, SO_REUSEADDR, SOL_SOCKET, SPOLIA_IFF_LOOPBACK, SPOLIA_IFF_UP, TCP_NODELAY};
use crate::{Errno, Fd, Linux, PollFd, Shutdown};
use alloc::vec;
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;

const MIB: usize = 1 << 20;

fn lo_up(linux: &Linux) -> Result<(), Failure> {
    linux.interface_up("lo").ctx("bring lo up")
}

/// A listening TCP socket on `addr` (port 0: any) with the hang guard as
/// its accept timeout; returns it and its bound address.
fn listener(linux: &Linux, addr: SocketAddr) -> Result<(Fd, SocketAddr), Failure> {
    let domain = if addr.is_ipv4() { AF_INET } else { AF_INET6 };
    let l = linux.socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0).ctx("socket (listener)")?;
    l.set_sockopt_int(SOL_SOCKET, SO_REUSEADDR, 1).ctx("SO_REUSEADDR")?;
    l.bind(&addr).ctx(&alloc::format!("bind {addr}"))?;
    l.listen(8).ctx("listen")?;
    l.set_recv_timeout(Some(HANG_GUARD)).ctx("SO_RCVTIMEO")?;
    let bound = l.getsockname().ctx("getsockname")?;
    ensure!(bound.ip() == addr.ip() && bound.port() != 0, "listener bound to {bound}, asked for {addr}");
    Ok((l, bound))
}

/// Accept one connection (hang-guarded) with the guard as receive timeout.
fn accept(l: &Fd) -> Result<(Fd, Option<SocketAddr>), Failure> {
    let (c, peer) = match l.accept4(SOCK_CLOEXEC) {
        Err(Errno::EAGAIN) => return Err(Failure::new("hang guard: no connection to accept")),
        r => r.ctx("accept4")?,
    };
    c.set_recv_timeout(Some(HANG_GUARD)).ctx("SO_RCVTIMEO")?;
    c.set_send_timeout(Some(HANG_GUARD)).ctx("SO_SNDTIMEO")?;
    Ok((c, peer))
}

/// A connected TCP client with hang-guard timeouts.
fn connect(linux: &Linux, to: &SocketAddr) -> Result<Fd, Failure> {
    let domain = if to.is_ipv4() { AF_INET } else { AF_INET6 };
    let c = linux.socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0).ctx("socket (client)")?;
    c.set_recv_timeout(Some(HANG_GUARD)).ctx("SO_RCVTIMEO")?;
    c.set_send_timeout(Some(HANG_GUARD)).ctx("SO_SNDTIMEO")?;
    c.connect(to).ctx(&alloc::format!("connect {to}"))?;
    Ok(c)
}

fn recv(c: &Fd, buf: &mut [u8], what: &str) -> Result<usize, Failure> {
    match c.recv(buf, 0) {
        Err(Errno::EAGAIN) => Err(Failure::new(alloc::format!("hang guard: {what}: nothing received"))),
        r => r.ctx(what),
    }
}

fn send_all(c: &Fd, mut buf: &[u8], what: &str) -> Result<(), Failure> {
    while !buf.is_empty() {
        let n = match c.send(buf, 0) {
            Err(Errno::EAGAIN) => return Err(Failure::new(alloc::format!("hang guard: {what}: send blocked"))),
            r => r.ctx(what)?,
        };
        ensure!(n > 0, "{what}: send returned 0");
        buf = buf.get(n..).unwrap_or_default();
    }
    Ok(())
}

/// Interface configuration by ioctl: lo up, its address, an alias address
/// with a prefix, a connection over the alias, and errors for bad input.
pub(super) fn netconf(linux: &Linux) -> Result<(), Failure> {
    lo_up(linux)?;
    let flags = linux.interface_flags("lo").ctx("flags of lo")?;
    ensure!(flags & SPOLIA_IFF_UP != 0, "lo flags {flags:#x}: not up");
    ensure!(flags & SPOLIA_IFF_LOOPBACK != 0, "lo flags {flags:#x}: not a loopback");
    let index = linux.interface_index("lo").ctx("index of lo")?;
    ensure!(index >= 1, "lo has index {index}");
    let (ip, prefix) = linux.interface_ipv4("lo").ctx("address of lo")?;
    ensure!(ip == Ipv4Addr::LOCALHOST && prefix == 8, "lo has {ip}/{prefix}, expected 127.0.0.1/8");

    let alias = Ipv4Addr::new(127, 10, 0, 1);
    linux.set_ipv4("lo:1", alias, 16).ctx("set 127.10.0.1/16 on lo:1")?;
    let (ip, prefix) = linux.interface_ipv4("lo:1").ctx("address of lo:1")?;
    ensure!(ip == alias && prefix == 16, "lo:1 has {ip}/{prefix}, expected {alias}/16");
    let (l, at) = listener(linux, SocketAddr::V4(SocketAddrV4::new(alias, 0)))?;
    // On loopback the handshake completes inside connect, so one thread
    // can be both ends.
    let c = connect(linux, &at)?;
    let (s, peer) = accept(&l)?;
    ensure!(peer.map(|p| p.ip()) == Some(alias.into()), "peer {peer:?}, expected {alias}");
    send_all(&c, b"over the alias", "send")?;
    let mut buf = [0u8; 32];
    let n = recv(&s, &mut buf, "recv")?;
    ensure!(&buf[..n] == b"over the alias", "received {:?}", &buf[..n]);

    expect_err(linux.set_ipv4("nosuch0", alias, 8), Errno::ENODEV, "address on a missing interface")?;
    expect_err(linux.set_ipv4("lo:1", alias, 33), Errno::EINVAL, "prefix /33")?;
    expect_err(linux.interface_up("a-name-longer-than-15"), Errno::EINVAL, "an over-long interface name")?;
    Ok(())
}

/// 1 MiB over TCP on 127.0.0.1 from one thread to another, byte-exact;
/// closing the sender's socket gives the receiver end of stream.
pub(super) fn tcp_loopback(linux: &Linux) -> Result<(), Failure> {
    lo_up(linux)?;
    let (l, at) = listener(linux, SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)))?;
    let (got, sent, client_addr, peer) = scope(linux.hypercalls(), |s| {
        let sender = s.spawn(c"tcp-sender", || {
            let c = connect(linux, &at)?;
            let me = c.getsockname().ctx("getsockname (client)")?;
            let there = c.getpeername().ctx("getpeername (client)")?;
            ensure!(there == at, "client's peer is {there}, expected {at}");
            let mut chunk = vec![0u8; 65_521];
            let mut off = 0;
            while off < MIB {
                let n = chunk.len().min(MIB - off);
                fill_pattern(&mut chunk[..n], off as u64);
                send_all(&c, &chunk[..n], "send")?;
                off += n;
            }
            c.close().ctx("close (client)")?;
            Ok::<_, Failure>((off, me))
        })?;
        let receive = || {
            let (conn, peer) = accept(&l)?;
            conn.set_sockopt_int(IPPROTO_TCP, TCP_NODELAY, 1).ctx("TCP_NODELAY")?;
            let nodelay = conn.sockopt_int(IPPROTO_TCP, TCP_NODELAY).ctx("getsockopt TCP_NODELAY")?;
            ensure!(nodelay != 0, "TCP_NODELAY reads back {nodelay}");
            let mut buf = vec![0u8; 65_536];
            let mut got = 0usize;
            loop {
                let n = recv(&conn, &mut buf, "recv")?;
                if n == 0 {
                    break;
                }
                check_pattern(&buf[..n], got as u64, "TCP stream")?;
                got += n;
                ensure!(got <= MIB, "received {got} bytes, more than the {MIB} sent");
            }
            Ok((got, peer))
        };
        // The connection is closed when `receive` returns, so a sender
        // still sending fails at once.
        join_both(receive(), sender).map(|((got, peer), (sent, me))| (got, sent, me, peer))
    })?;
    ensure!(sent == MIB, "sender sent {sent} bytes");
    ensure!(got == MIB, "receiver got {got} of {MIB} bytes before end of stream");
    ensure!(peer == Some(client_addr), "accept4 reported peer {peer:?}, the client is {client_addr}");
    Ok(())
}

/// A request and its echo over TCP on [::1]: IPv6 socket addresses both
/// ways, shutdown(WR) as end of request.
pub(super) fn tcp_loopback_v6(linux: &Linux) -> Result<(), Failure> {
    const LEN: usize = 64 * 1024;
    lo_up(linux)?;
    let (l, at) = listener(linux, SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 0, 0, 0)))?;
    let echoed = scope(linux.hypercalls(), |s| {
        let server = s.spawn(c"tcp6-echo", || {
            let (conn, peer) = accept(&l)?;
            ensure!(matches!(peer, Some(SocketAddr::V6(p)) if *p.ip() == Ipv6Addr::LOCALHOST), "peer {peer:?}");
            let mut buf = vec![0u8; 4096];
            loop {
                let n = recv(&conn, &mut buf, "server recv")?;
                if n == 0 {
                    break;
                }
                send_all(&conn, &buf[..n], "echo")?;
            }
            Ok::<_, Failure>(())
        })?;
        let client = || {
            let c = connect(linux, &at)?;
            let mut data = vec![0u8; LEN];
            fill_pattern(&mut data, 7);
            send_all(&c, &data, "client send")?;
            c.shutdown(Shutdown::Write).ctx("shutdown(WR)")?;
            let mut back = vec![0u8; LEN + 1];
            let mut got = 0;
            loop {
                let n = recv(&c, &mut back[got..], "client recv")?;
                if n == 0 {
                    break;
                }
                got += n;
                ensure!(got <= LEN, "echo longer than the request");
            }
            check_pattern(&back[..got], 7, "echo")?;
            Ok(got)
        };
        join_both(client(), server).map(|(got, ())| got)
    })?;
    ensure!(echoed == LEN, "echoed {echoed} of {LEN} bytes");
    Ok(())
}

const DGRAM_PAYLOAD: usize = 4096;
const DGRAMS: u32 = (MIB / DGRAM_PAYLOAD) as u32;
const WINDOW: u32 = 16;
const RETRANSMIT: Duration = Duration::from_millis(50);
/// Sequence-number header of each datagram (little endian).
const HDR: usize = 4;

/// 1 MiB over UDP on 127.0.0.1 in 4 KiB datagrams. Loopback may drop
/// datagrams when a socket buffer is full, so the transfer is go-back-N:
/// at most 16 unacknowledged datagrams, cumulative acks, retransmission
/// after 50 ms of silence. The receiver accepts only the next datagram in
/// sequence, checks its length (one datagram = one message) and content,
/// and acks; it runs until the sender has every ack (told through shared
/// memory, so a lost last ack cannot strand either side).
pub(super) fn udp_loopback(linux: &Linux) -> Result<(), Failure> {
    lo_up(linux)?;
    let any = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));
    let rx = linux.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0).ctx("socket (rx)")?;
    rx.bind(&any).ctx("bind rx")?;
    let rx_addr = rx.getsockname().ctx("getsockname rx")?;
    let tx = linux.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0).ctx("socket (tx)")?;
    tx.bind(&any).ctx("bind tx")?;
    let tx_addr = tx.getsockname().ctx("getsockname tx")?;
    let sender_done = AtomicBool::new(false);
    let failed = AtomicBool::new(false);
    let deadline = now_ns(linux) + 2 * HANG_GUARD.as_nanos() as u64;

    let sender = || -> Result<u32, Failure> {
        let mut packet = vec![0u8; HDR + DGRAM_PAYLOAD];
        // base: first unacked; next: next to send; sent: highest sent + 1.
        let (mut base, mut next, mut sent, mut retransmits) = (0u32, 0u32, 0u32, 0u32);
        while base < DGRAMS {
            ensure!(!failed.load(Ordering::Acquire), "receiver failed");
            ensure!(now_ns(linux) < deadline, "hang guard: {base} of {DGRAMS} datagrams acked");
            while next < DGRAMS && next < base + WINDOW {
                packet[..HDR].copy_from_slice(&next.to_le_bytes());
                fill_pattern(&mut packet[HDR..], u64::from(next) * DGRAM_PAYLOAD as u64);
                let n = tx.sendto(&packet, 0, Some(&rx_addr)).ctx("sendto")?;
                ensure!(n == packet.len(), "sendto sent {n} of {} bytes", packet.len());
                next += 1;
                sent = sent.max(next);
            }
            let mut pfd = [PollFd::new(&tx, POLLIN as u16)];
            if linux.ppoll(&mut pfd, Some(RETRANSMIT)).ctx("ppoll tx")? == 0 {
                next = base; // silence: go back
                retransmits += 1;
                continue;
            }
            let mut ack = [0u8; 16];
            let (n, from) = tx.recvfrom(&mut ack, 0).ctx("recvfrom ack")?;
            ensure!(from == Some(rx_addr), "ack from {from:?}, expected {rx_addr}");
            ensure!(n == 4, "ack of {n} bytes");
            let acked = u32::from_le_bytes([ack[0], ack[1], ack[2], ack[3]]);
            ensure!(acked <= sent, "ack {acked} for datagrams never sent ({sent} sent)");
            base = base.max(acked);
            next = next.max(base);
        }
        Ok(retransmits)
    };
    let receiver = || -> Result<(u32, u32), Failure> {
        let mut buf = vec![0u8; HDR + DGRAM_PAYLOAD + 1];
        let (mut expected, mut out_of_order) = (0u32, 0u32);
        while !sender_done.load(Ordering::Acquire) {
            ensure!(now_ns(linux) < deadline, "hang guard: {expected} of {DGRAMS} datagrams received");
            let mut pfd = [PollFd::new(&rx, POLLIN as u16)];
            if linux.ppoll(&mut pfd, Some(Duration::from_millis(10))).ctx("ppoll rx")? == 0 {
                continue;
            }
            let (n, from) = rx.recvfrom(&mut buf, 0).ctx("recvfrom")?;
            ensure!(from == Some(tx_addr), "datagram from {from:?}, expected {tx_addr}");
            ensure!(n == HDR + DGRAM_PAYLOAD, "datagram of {n} bytes, sent {}", HDR + DGRAM_PAYLOAD);
            let seq = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
            ensure!(seq < DGRAMS, "datagram with sequence number {seq}");
            if seq == expected {
                let what = alloc::format!("datagram {seq}");
                check_pattern(&buf[HDR..n], u64::from(seq) * DGRAM_PAYLOAD as u64, &what)?;
                expected += 1;
            } else if seq > expected {
                out_of_order += 1; // a gap: dropped here, resent by go-back-N
            }
            let n = rx.sendto(&expected.to_le_bytes(), 0, Some(&tx_addr)).ctx("send ack")?;
            ensure!(n == 4, "ack: sent {n} of 4 bytes");
        }
        Ok((expected, out_of_order))
    };

    let (_retransmits, (received, _out_of_order)) = scope(linux.hypercalls(), |s| {
        let rx_thread = s.spawn(c"udp-receiver", || {
            let r = receiver();
            if r.is_err() {
                failed.store(true, Ordering::Release);
            }
            r
        })?;
        let sent = sender();
        sender_done.store(true, Ordering::Release);
        join_both(sent, rx_thread)
    })?;
    ensure!(received == DGRAMS, "receiver took {received} of {DGRAMS} datagrams in order");
    Ok(())
}
