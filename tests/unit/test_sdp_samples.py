# ruff: noqa: E501  (SDP lines are as long as real endpoints make them)
"""Realistic SDP bodies, written after what each endpoint sends (not captured traffic)."""

BARESIP = """v=0
o=- 1470253291 3201472831 IN IP4 192.168.1.20
s=-
c=IN IP4 192.168.1.20
t=0 0
m=audio 10102 RTP/AVP 111 9 0 8 101
b=AS:64
a=rtpmap:111 opus/48000/2
a=fmtp:111 stereo=1;sprop-stereo=1
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=rtcp:10103
a=sendrecv
a=label:1
a=ssrc:1693541279 cname:fb5a5cb4-c9b1-4d4e-9d76-43a2d3b2dae8
a=rtcp-rsize
""".replace("\n", "\r\n")

ASTERISK = """v=0
o=- 1234567890 1234567892 IN IP4 203.0.113.5
s=Asterisk
c=IN IP4 203.0.113.5
t=0 0
m=audio 17254 RTP/AVP 0 8 3 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:3 GSM/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=maxptime:150
a=sendrecv
m=video 0 RTP/AVP 99
a=rtpmap:99 H264/90000
"""

FREESWITCH_SRTP = """v=0
o=FreeSWITCH 1700000000 1700000001 IN IP4 198.51.100.7
s=FreeSWITCH
c=IN IP4 198.51.100.7
t=0 0
m=audio 28104 RTP/SAVP 102 0 8 101 13
a=rtpmap:102 opus/48000/2
a=fmtp:102 useinbandfec=1; maxplaybackrate=16000; maxaveragebitrate=24000; ptime=20
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=rtpmap:13 CN/8000
a=ptime:20
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32 KDR=1
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj
a=sendrecv
a=rtcp:28105 IN IP4 198.51.100.7
"""

CHROME = """v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS stream1
m=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 192.0.2.44
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 192.168.0.196 54400 typ host generation 0 network-id 1
a=candidate:3011337214 1 udp 1686052607 192.0.2.44 54400 typ srflx raddr 192.168.0.196 rport 54400 generation 0 network-id 1
a=candidate:435653019 1 tcp 1518280447 192.168.0.196 9 typ host tcptype active generation 0
a=ice-ufrag:a1b2
a=ice-pwd:asd88fgpdd777uzjYhagZg0123456789
a=ice-options:trickle renomination
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2/recvonly http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=sendrecv
a=msid:stream1 track1
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6
a=ssrc:3570614608 msid:stream1 track1
m=video 54400 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 192.0.2.44
a=ice-ufrag:a1b2
a=ice-pwd:asd88fgpdd777uzjYhagZg0123456789
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08
a=setup:actpass
a=mid:1
a=recvonly
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=ssrc-group:FID 1 2
m=application 54400 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 192.0.2.44
a=mid:2
a=sctp-port:5000
"""

IPV6 = """v=0
o=alice 2890844526 2890844526 IN IP6 2001:db8::1
s=IPv6 call
c=IN IP6 2001:db8::1
t=0 0
m=audio 49170 RTP/AVP 0 101
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-11
m=audio 49172 RTP/AVP 8
c=IN IP6 ::1
"""

MULTICAST = """v=0
o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1
s=Call to John Smith
i=SDP Offer #1
u=http://www.jdoe.example.com/home.html
e=Jane Doe <jane@jdoe.example.com>
p=+1 617 555-6011
c=IN IP4 233.252.0.1/127/3
b=TIAS:64000
t=3724394400 3724398000
r=604800 3600 0 90000
z=2882844526 -1h 2898848070 0
k=prompt
a=recvonly
m=audio 49170/2 RTP/AVP 0
i=Speech
b=AS:64
k=clear:secret
m=video 51372 RTP/AVP 99
c=IN IP6 ff15::101/3
a=rtpmap:99 h263-1998/90000
m=image 54111 udptl t38
a=T38FaxVersion:0
a=T38FaxRateManagement:transferredTCF
"""
