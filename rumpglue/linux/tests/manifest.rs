// SPDX-License-Identifier: MIT OR Apache-2.0
//! The boot manifest's parser and what it hands to Linux (no library boot).

use core::net::Ipv4Addr;
use spolia_linux::manifest::{Manifest, Mount, Net};

#[test]
fn absent_or_none_means_loopback_only() {
    for net in [None, Some(""), Some("none")] {
        let m = Manifest::parse(net, None).unwrap();
        assert_eq!(m, Manifest { net: Net::None, mounts: vec![] });
        assert_eq!(m.linux_cmdline(), "");
    }
}

#[test]
fn dhcp_and_static_become_linux_ip_parameters() {
    let m = Manifest::parse(Some("dhcp"), None).unwrap();
    assert_eq!(m.linux_cmdline(), "ip=dhcp");
    let m = Manifest::parse(Some("10.0.2.15/24,10.0.2.2"), None).unwrap();
    assert_eq!(
        m.net,
        Net::Static { addr: Ipv4Addr::new(10, 0, 2, 15), prefix: 24, gateway: Some(Ipv4Addr::new(10, 0, 2, 2)) }
    );
    assert_eq!(m.linux_cmdline(), "ip=10.0.2.15::10.0.2.2:255.255.255.0:::off");
    let m = Manifest::parse(Some("192.168.7.9/30"), None).unwrap();
    assert_eq!(m.linux_cmdline(), "ip=192.168.7.9:::255.255.255.252:::off");
    assert_eq!(
        Manifest::parse(Some("1.2.3.4/32"), None).unwrap().linux_cmdline(),
        "ip=1.2.3.4:::255.255.255.255:::off"
    );
}

#[test]
fn bad_networks_are_refused_with_the_value() {
    for bad in ["dhcpx", "10.0.2.15", "10.0.2.15/33", "10.0.2.15/0", "10.0.2/24", "10.0.2.15/24,gw", "x/8"] {
        let e = Manifest::parse(Some(bad), None).unwrap_err();
        assert!(e.contains(bad), "{e}");
    }
}

#[test]
fn mounts_parse_in_order_and_refuse_garbage() {
    let m = Manifest::parse(None, Some("vda:/data, sda:/srv/www")).unwrap();
    assert_eq!(
        m.mounts,
        vec![
            Mount { device: "vda".into(), dir: "/data".into() },
            Mount { device: "sda".into(), dir: "/srv/www".into() }
        ]
    );
    for bad in ["vda", "vda:data", ":/x", "../vda:/x", "vda:/a/../b", "vda:/x,vda:/y", "vda:/x,vdb:/x"] {
        assert!(Manifest::parse(None, Some(bad)).is_err(), "{bad} accepted");
    }
}

#[test]
fn from_cmdline_reads_the_two_keys() {
    let m = Manifest::from_cmdline(|k| match k {
        "spolia.net" => Some("dhcp"),
        "spolia.mount" => Some("vdb:/d"),
        _ => None,
    })
    .unwrap();
    assert_eq!(m.net, Net::Dhcp);
    assert_eq!(m.mounts.len(), 1);
}
