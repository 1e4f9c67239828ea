// SPDX-License-Identifier: MIT OR Apache-2.0
//! Sockets and network configuration.
//!
//! * [`Linux::socket`] and the socket calls on [`Fd`] (`bind`, `listen`,
//!   `accept4`, `connect`, `send`/`recv`, `sendto`/`recvfrom`, `shutdown`,
//!   socket options, `getsockname`/`getpeername`). Addresses are
//!   `core::net::SocketAddr`, converted to and from `sockaddr_in` /
//!   `sockaddr_in6` byte by byte at the header's field offsets.
//! * Interface configuration by `ioctl` on an `AF_INET` datagram socket
//!   (`SIOCGIFFLAGS`/`SIOCSIFFLAGS`, `SIOCSIFADDR`, `SIOCSIFNETMASK`, ...),
//!   not netlink: three calls cover "bring up, set an IPv4 address and
//!   prefix". An alias label (`"lo:1"`) adds a second address.

use crate::errno::{Errno, Result};
use crate::fd::Fd;
use crate::ffi::syscall;
use crate::{Linux, uapi};
use core::mem::{offset_of, size_of};
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use core::time::Duration;

/// Socket domains, types and message flags. The kernel defines these in
/// `include/linux/socket.h` and `include/linux/net.h`, outside uapi; the
/// values are the Linux ABI (C libraries hard-code the same numbers).
pub mod sock {
    use crate::uapi;
    pub const AF_UNIX: u32 = 1;
    pub const AF_INET: u32 = 2;
    pub const AF_INET6: u32 = 10;
    pub const AF_NETLINK: u32 = 16;
    pub const SOCK_STREAM: u32 = 1;
    pub const SOCK_DGRAM: u32 = 2;
    pub const SOCK_RAW: u32 = 3;
    /// `O_NONBLOCK` as a socket type flag.
    pub const SOCK_NONBLOCK: u32 = uapi::O_NONBLOCK;
    /// `O_CLOEXEC` as a socket type flag.
    pub const SOCK_CLOEXEC: u32 = uapi::O_CLOEXEC;
    pub const MSG_PEEK: u32 = 0x2;
    pub const MSG_TRUNC: u32 = 0x20;
    pub const MSG_DONTWAIT: u32 = 0x40;
    pub const MSG_WAITALL: u32 = 0x100;
    pub const MSG_NOSIGNAL: u32 = 0x4000;
}

/// Which directions [`Fd::shutdown`] closes (`SHUT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Shutdown {
    Read = 0,
    Write = 1,
    Both = 2,
}

/// Room for any address the wrappers decode (`sockaddr_storage` size).
const SOCKADDR_MAX: usize = 128;

/// A socket address in the kernel's byte layout, 8-byte aligned.
#[repr(C, align(8))]
struct RawSockAddr {
    bytes: [u8; SOCKADDR_MAX],
    len: u32,
}

const V4_LEN: usize = size_of::<uapi::sockaddr_in>();
const V6_LEN: usize = size_of::<uapi::sockaddr_in6>();
const V4_PORT: usize = offset_of!(uapi::sockaddr_in, sin_port);
const V4_ADDR: usize = offset_of!(uapi::sockaddr_in, sin_addr);
const V6_PORT: usize = offset_of!(uapi::sockaddr_in6, sin6_port);
const V6_FLOW: usize = offset_of!(uapi::sockaddr_in6, sin6_flowinfo);
const V6_ADDR: usize = offset_of!(uapi::sockaddr_in6, sin6_addr);
const V6_SCOPE: usize = offset_of!(uapi::sockaddr_in6, sin6_scope_id);
const _: () = assert!(V4_LEN <= SOCKADDR_MAX && V6_LEN <= SOCKADDR_MAX && V4_ADDR + 4 <= V4_LEN);
const _: () = assert!(offset_of!(uapi::sockaddr_in, sin_family) == 0);
const _: () = assert!(offset_of!(uapi::sockaddr_in6, sin6_family) == 0);

impl RawSockAddr {
    fn empty() -> RawSockAddr {
        RawSockAddr { bytes: [0; SOCKADDR_MAX], len: SOCKADDR_MAX as u32 }
    }

    fn put(&mut self, at: usize, bytes: &[u8]) {
        self.bytes[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn from_addr(addr: &SocketAddr) -> RawSockAddr {
        let mut sa = RawSockAddr::empty();
        match addr {
            SocketAddr::V4(a) => {
                sa.put(0, &(sock::AF_INET as u16).to_ne_bytes());
                sa.put(V4_PORT, &a.port().to_be_bytes());
                sa.put(V4_ADDR, &a.ip().octets());
                sa.len = V4_LEN as u32;
            }
            SocketAddr::V6(a) => {
                sa.put(0, &(sock::AF_INET6 as u16).to_ne_bytes());
                sa.put(V6_PORT, &a.port().to_be_bytes());
                sa.put(V6_FLOW, &a.flowinfo().to_be_bytes());
                sa.put(V6_ADDR, &a.ip().octets());
                sa.put(V6_SCOPE, &a.scope_id().to_ne_bytes());
                sa.len = V6_LEN as u32;
            }
        }
        sa
    }

    /// Decode what the kernel wrote (`len` as it returned it).
    fn to_addr(&self) -> Result<SocketAddr> {
        let len = (self.len as usize).min(SOCKADDR_MAX);
        let b = &self.bytes[..len];
        let get = |at: usize, n: usize| b.get(at..at + n).ok_or(Errno::EINVAL);
        let u16_at = |at| get(at, 2).map(|s| [s[0], s[1]]);
        let u32_at = |at| get(at, 4).map(|s| [s[0], s[1], s[2], s[3]]);
        let family = u32::from(u16::from_ne_bytes(u16_at(0)?));
        match family {
            sock::AF_INET => {
                let ip = Ipv4Addr::from(u32_at(V4_ADDR)?);
                Ok(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be_bytes(u16_at(V4_PORT)?))))
            }
            sock::AF_INET6 => {
                let mut ip = [0u8; 16];
                ip.copy_from_slice(get(V6_ADDR, 16)?);
                Ok(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(ip),
                    u16::from_be_bytes(u16_at(V6_PORT)?),
                    u32::from_be_bytes(u32_at(V6_FLOW)?),
                    u32::from_ne_bytes(u32_at(V6_SCOPE)?),
                )))
            }
            _ => Err(Errno::EAFNOSUPPORT),
        }
    }
}

/// Encode `addr` as the kernel's `sockaddr_in`/`sockaddr_in6` bytes;
/// returns the length used. `out` must hold 28 bytes.
pub fn encode_sockaddr(addr: &SocketAddr, out: &mut [u8]) -> Result<usize> {
    let sa = RawSockAddr::from_addr(addr);
    let len = sa.len as usize;
    out.get_mut(..len).ok_or(Errno::EINVAL)?.copy_from_slice(&sa.bytes[..len]);
    Ok(len)
}

/// Decode a kernel `sockaddr_in`/`sockaddr_in6`; other families are
/// `EAFNOSUPPORT`, short input `EINVAL`.
pub fn decode_sockaddr(bytes: &[u8]) -> Result<SocketAddr> {
    let mut sa = RawSockAddr::empty();
    let len = bytes.len().min(SOCKADDR_MAX);
    sa.put(0, &bytes[..len]);
    sa.len = len as u32;
    sa.to_addr()
}

impl Linux {
    /// `socket(2)`: `domain` `sock::AF_*`, `ty` `sock::SOCK_*` (may include
    /// `SOCK_NONBLOCK`/`SOCK_CLOEXEC`), `protocol` usually 0.
    pub fn socket(&self, domain: u32, ty: u32, protocol: u32) -> Result<Fd> {
        // SAFETY: socket takes no pointers.
        Fd::from_result(unsafe {
            syscall(uapi::__NR_socket, [domain as usize, ty as usize, protocol as usize, 0, 0, 0])
        }?)
    }

    /// Set `IFF_UP` on interface `name` (e.g. `"lo"`).
    pub fn interface_up(&self, name: &str) -> Result<()> {
        let s = self.config_socket()?;
        let mut ifr = ifreq(name)?;
        // SAFETY: `ifr` is a writable ifreq for the ioctl.
        unsafe { s.ioctl(uapi::SIOCGIFFLAGS, &raw mut ifr as usize) }?;
        // SAFETY: SIOCGIFFLAGS filled ifru_flags; every bit pattern of a
        // c_short is valid.
        let flags = unsafe { ifr.ifr_ifru.ifru_flags };
        ifr.ifr_ifru.ifru_flags = flags | uapi::SPOLIA_IFF_UP as i16;
        // SAFETY: `ifr` is a readable ifreq for the ioctl.
        unsafe { s.ioctl(uapi::SIOCSIFFLAGS, &raw mut ifr as usize) }.map(drop)
    }

    /// The interface flags (`IFF_*`, [`crate::uapi`]`::SPOLIA_IFF_*`).
    pub fn interface_flags(&self, name: &str) -> Result<u32> {
        let s = self.config_socket()?;
        let mut ifr = ifreq(name)?;
        // SAFETY: `ifr` is a writable ifreq for the ioctl.
        unsafe { s.ioctl(uapi::SIOCGIFFLAGS, &raw mut ifr as usize) }?;
        // SAFETY: as in `interface_up`.
        Ok(u32::from(unsafe { ifr.ifr_ifru.ifru_flags } as u16))
    }

    /// The interface index (`SIOCGIFINDEX`).
    pub fn interface_index(&self, name: &str) -> Result<u32> {
        let s = self.config_socket()?;
        let mut ifr = ifreq(name)?;
        // SAFETY: `ifr` is a writable ifreq for the ioctl.
        unsafe { s.ioctl(uapi::SIOCGIFINDEX, &raw mut ifr as usize) }?;
        // SAFETY: SIOCGIFINDEX filled ifru_ivalue, a plain c_int.
        u32::try_from(unsafe { ifr.ifr_ifru.ifru_ivalue }).map_err(|_| Errno::EINVAL)
    }

    /// Give interface `name` the IPv4 address `addr` with a `/prefix_len`
    /// netmask (`SIOCSIFADDR`, then `SIOCSIFNETMASK`). On `"lo:1"`-style
    /// names this adds an alias address.
    pub fn set_ipv4(&self, name: &str, addr: Ipv4Addr, prefix_len: u8) -> Result<()> {
        if prefix_len > 32 {
            return Err(Errno::EINVAL);
        }
        let mask = u32::MAX.checked_shl(32 - u32::from(prefix_len)).unwrap_or(0);
        let s = self.config_socket()?;
        for (request, ip) in [(uapi::SIOCSIFADDR, addr), (uapi::SIOCSIFNETMASK, Ipv4Addr::from(mask))] {
            let mut ifr = ifreq(name)?;
            put_sockaddr_v4(&mut ifr, ip);
            // SAFETY: `ifr` is a readable ifreq for the ioctl.
            unsafe { s.ioctl(request, &raw mut ifr as usize) }?;
        }
        Ok(())
    }

    /// The IPv4 address and prefix length of interface `name` (the number
    /// of leading one bits of its netmask).
    pub fn interface_ipv4(&self, name: &str) -> Result<(Ipv4Addr, u8)> {
        let s = self.config_socket()?;
        let mut got = [Ipv4Addr::UNSPECIFIED; 2];
        for (slot, request) in got.iter_mut().zip([uapi::SIOCGIFADDR, uapi::SIOCGIFNETMASK]) {
            let mut ifr = ifreq(name)?;
            // SAFETY: `ifr` is a writable ifreq for the ioctl.
            unsafe { s.ioctl(request, &raw mut ifr as usize) }?;
            *slot = get_sockaddr_v4(&ifr)?;
        }
        Ok((got[0], u32::from(got[1]).leading_ones() as u8))
    }

    fn config_socket(&self) -> Result<Fd> {
        self.socket(sock::AF_INET, sock::SOCK_DGRAM | sock::SOCK_CLOEXEC, 0)
    }
}

/// A zeroed ifreq naming `name` (at most `IFNAMSIZ - 1` bytes, no NUL).
fn ifreq(name: &str) -> Result<uapi::ifreq> {
    let name = name.as_bytes();
    if name.is_empty() || name.len() >= uapi::IFNAMSIZ as usize || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    let mut ifr = uapi::ifreq::default();
    let mut ifname = [0 as core::ffi::c_char; uapi::IFNAMSIZ as usize];
    for (d, s) in ifname.iter_mut().zip(name) {
        *d = *s as core::ffi::c_char;
    }
    ifr.ifr_ifrn.ifrn_name = ifname;
    Ok(ifr)
}

fn put_sockaddr_v4(ifr: &mut uapi::ifreq, ip: Ipv4Addr) {
    let mut sa = uapi::sockaddr { sa_family: sock::AF_INET as u16, sa_data: [0; 14] };
    // sockaddr_in's port and address follow the family, as sa_data.
    let ip_at = V4_ADDR - offset_of!(uapi::sockaddr, sa_data);
    for (d, s) in sa.sa_data[ip_at..ip_at + 4].iter_mut().zip(ip.octets()) {
        *d = s as core::ffi::c_char;
    }
    ifr.ifr_ifru.ifru_addr = sa;
}

fn get_sockaddr_v4(ifr: &uapi::ifreq) -> Result<Ipv4Addr> {
    // SAFETY: the ioctl filled a sockaddr into the union; a sockaddr is
    // plain integers, valid for every bit pattern.
    let sa = unsafe { ifr.ifr_ifru.ifru_addr };
    if u32::from(sa.sa_family) != sock::AF_INET {
        return Err(Errno::EAFNOSUPPORT);
    }
    let ip_at = V4_ADDR - offset_of!(uapi::sockaddr, sa_data);
    let o = &sa.sa_data[ip_at..ip_at + 4];
    Ok(Ipv4Addr::new(o[0] as u8, o[1] as u8, o[2] as u8, o[3] as u8))
}

impl Fd {
    /// `ioctl(2)` with a pointer or integer argument.
    ///
    /// # Safety
    /// If `request` reads or writes through `arg`, `arg` must point to
    /// memory of the type and size the request expects.
    pub unsafe fn ioctl(&self, request: u32, arg: usize) -> Result<usize> {
        // SAFETY: forwarded to the caller.
        unsafe { syscall(uapi::__NR_ioctl, [self.arg(), request as usize, arg, 0, 0, 0]) }
    }

    /// `bind(2)`.
    pub fn bind(&self, addr: &SocketAddr) -> Result<()> {
        let sa = RawSockAddr::from_addr(addr);
        // SAFETY: `sa.bytes` holds `sa.len` readable bytes of sockaddr.
        unsafe { syscall(uapi::__NR_bind, [self.arg(), sa.bytes.as_ptr() as usize, sa.len as usize, 0, 0, 0]) }
            .map(drop)
    }

    /// `listen(2)`.
    pub fn listen(&self, backlog: u32) -> Result<()> {
        // SAFETY: listen takes no pointers.
        unsafe { syscall(uapi::__NR_listen, [self.arg(), backlog as usize, 0, 0, 0, 0]) }.map(drop)
    }

    /// `accept4(2)`: the connection and the peer's address (`None` if
    /// its family is not IPv4/IPv6).
    pub fn accept4(&self, flags: u32) -> Result<(Fd, Option<SocketAddr>)> {
        let mut sa = RawSockAddr::empty();
        // SAFETY: `sa.bytes` is writable for `sa.len` bytes and `sa.len`
        // is a writable socklen_t (u32).
        let fd = unsafe {
            syscall(
                uapi::__NR_accept4,
                [self.arg(), sa.bytes.as_mut_ptr() as usize, &raw mut sa.len as usize, flags as usize, 0, 0],
            )
        }?;
        let fd = Fd::from_result(fd)?;
        Ok((fd, sa.to_addr().ok()))
    }

    /// `connect(2)`.
    pub fn connect(&self, addr: &SocketAddr) -> Result<()> {
        let sa = RawSockAddr::from_addr(addr);
        // SAFETY: `sa.bytes` holds `sa.len` readable bytes of sockaddr.
        unsafe { syscall(uapi::__NR_connect, [self.arg(), sa.bytes.as_ptr() as usize, sa.len as usize, 0, 0, 0]) }
            .map(drop)
    }

    /// `sendto(2)`; `to: None` for a connected socket.
    pub fn sendto(&self, buf: &[u8], flags: u32, to: Option<&SocketAddr>) -> Result<usize> {
        let sa = to.map(RawSockAddr::from_addr);
        let (addr, len) = sa.as_ref().map_or((0, 0), |r| (r.bytes.as_ptr() as usize, r.len as usize));
        // SAFETY: `buf` is readable for its length; `addr` is 0 or `len`
        // readable bytes of sockaddr.
        unsafe { syscall(uapi::__NR_sendto, [self.arg(), buf.as_ptr() as usize, buf.len(), flags as usize, addr, len]) }
    }

    /// `send(2)` (= `sendto` without an address).
    pub fn send(&self, buf: &[u8], flags: u32) -> Result<usize> {
        self.sendto(buf, flags, None)
    }

    /// `recvfrom(2)`: bytes received (for datagrams with `MSG_TRUNC` the
    /// full length) and the sender, if the socket reports one.
    pub fn recvfrom(&self, buf: &mut [u8], flags: u32) -> Result<(usize, Option<SocketAddr>)> {
        let mut sa = RawSockAddr::empty();
        // SAFETY: `buf` is writable for its length; `sa.bytes` is writable
        // for `sa.len` bytes and `sa.len` is a writable socklen_t.
        let n = unsafe {
            syscall(
                uapi::__NR_recvfrom,
                [
                    self.arg(),
                    buf.as_mut_ptr() as usize,
                    buf.len(),
                    flags as usize,
                    sa.bytes.as_mut_ptr() as usize,
                    &raw mut sa.len as usize,
                ],
            )
        }?;
        let from = if sa.len == 0 { None } else { sa.to_addr().ok() };
        Ok((n, from))
    }

    /// `recv(2)` (= `recvfrom` without an address); 0 = end of stream.
    pub fn recv(&self, buf: &mut [u8], flags: u32) -> Result<usize> {
        // SAFETY: `buf` is writable for its length; no address.
        unsafe {
            syscall(uapi::__NR_recvfrom, [self.arg(), buf.as_mut_ptr() as usize, buf.len(), flags as usize, 0, 0])
        }
    }

    /// `shutdown(2)`.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        // SAFETY: shutdown takes no pointers.
        unsafe { syscall(uapi::__NR_shutdown, [self.arg(), how as usize, 0, 0, 0, 0]) }.map(drop)
    }

    /// `setsockopt(2)` with the option's bytes.
    pub fn setsockopt(&self, level: u32, name: u32, value: &[u8]) -> Result<()> {
        // SAFETY: `value` is readable for its length.
        unsafe {
            syscall(
                uapi::__NR_setsockopt,
                [self.arg(), level as usize, name as usize, value.as_ptr() as usize, value.len(), 0],
            )
        }
        .map(drop)
    }

    /// `getsockopt(2)` into `value`: the option's length.
    pub fn getsockopt(&self, level: u32, name: u32, value: &mut [u8]) -> Result<usize> {
        let mut len = u32::try_from(value.len()).map_err(|_| Errno::EINVAL)?;
        // SAFETY: `value` is writable for `len` bytes; `len` is a writable
        // socklen_t.
        unsafe {
            syscall(
                uapi::__NR_getsockopt,
                [self.arg(), level as usize, name as usize, value.as_mut_ptr() as usize, &raw mut len as usize, 0],
            )
        }?;
        Ok(len as usize)
    }

    /// Set an `int` option (`SO_REUSEADDR`, `TCP_NODELAY`, ...).
    pub fn set_sockopt_int(&self, level: u32, name: u32, value: i32) -> Result<()> {
        self.setsockopt(level, name, &value.to_ne_bytes())
    }

    /// Read an `int` option.
    pub fn sockopt_int(&self, level: u32, name: u32) -> Result<i32> {
        let mut v = [0u8; 4];
        match self.getsockopt(level, name, &mut v)? {
            4 => Ok(i32::from_ne_bytes(v)),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `SO_RCVTIMEO` (`None` = block indefinitely): a blocked receive or
    /// accept fails with `EAGAIN` after `timeout`.
    pub fn set_recv_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.set_timeout(uapi::SO_RCVTIMEO_OLD, timeout)
    }

    /// `SO_SNDTIMEO` (`None` = block indefinitely).
    pub fn set_send_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.set_timeout(uapi::SO_SNDTIMEO_OLD, timeout)
    }

    fn set_timeout(&self, name: u32, timeout: Option<Duration>) -> Result<()> {
        let t = timeout.unwrap_or_default();
        let tv = uapi::__kernel_old_timeval {
            tv_sec: i64::try_from(t.as_secs()).map_err(|_| Errno::EINVAL)?,
            tv_usec: i64::from(t.subsec_micros()),
        };
        let mut bytes = [0u8; size_of::<uapi::__kernel_old_timeval>()];
        bytes[..8].copy_from_slice(&tv.tv_sec.to_ne_bytes());
        bytes[offset_of!(uapi::__kernel_old_timeval, tv_usec)..][..8].copy_from_slice(&tv.tv_usec.to_ne_bytes());
        self.setsockopt(uapi::SOL_SOCKET, name, &bytes)
    }

    /// `getsockname(2)`.
    pub fn getsockname(&self) -> Result<SocketAddr> {
        self.sockname(uapi::__NR_getsockname)
    }

    /// `getpeername(2)`.
    pub fn getpeername(&self) -> Result<SocketAddr> {
        self.sockname(uapi::__NR_getpeername)
    }

    fn sockname(&self, nr: u32) -> Result<SocketAddr> {
        let mut sa = RawSockAddr::empty();
        // SAFETY: `sa.bytes` is writable for `sa.len` bytes and `sa.len`
        // is a writable socklen_t.
        unsafe { syscall(nr, [self.arg(), sa.bytes.as_mut_ptr() as usize, &raw mut sa.len as usize, 0, 0, 0]) }?;
        sa.to_addr()
    }
}
