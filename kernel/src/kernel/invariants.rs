//! The kernel's consistency checks, run on every timer tick (so a long
//! test such as the hypercall fuzzer runs with them checked all along): a
//! broken invariant is a kernel bug and panics, which stops the machine
//! with the panic exit code.

use super::{Kernel, State};
use bilby_kernel::queue::NONE;

/// Checks the thread, queue and pool invariants.
pub fn check(k: &Kernel) {
    let mut queued = 0usize;
    for (e, ep) in k.endpoints.iter().enumerate() {
        for (q, want) in [(&ep.senders, 0), (&ep.receivers, 1)] {
            let mut t = q.head;
            let mut prev = NONE;
            let mut steps = 0;
            while t != NONE {
                let th = &k.threads[t as usize];
                let ok = match th.state {
                    State::BlockedSend(x) => want == 0 && x as usize == e,
                    State::BlockedRecv(x) => want == 1 && x as usize == e,
                    _ => false,
                };
                assert!(
                    ok && th.alive,
                    "endpoint queue holds a thread in the wrong state"
                );
                assert!(
                    k.links[t as usize].prev == prev,
                    "endpoint queue links broken"
                );
                prev = t;
                t = k.links[t as usize].next;
                steps += 1;
                queued += 1;
                assert!(steps <= k.threads.len(), "endpoint queue has a cycle");
            }
            assert!(q.tail == prev, "endpoint queue tail wrong");
        }
    }
    for (i, th) in k.threads.iter().enumerate() {
        if !th.alive {
            assert!(!k.links[i].queued, "dead thread in a queue");
            continue;
        }
        match th.state {
            State::Ready => {
                assert!(k.links[i].queued, "ready thread not queued");
            }
            State::BlockedSend(_) | State::BlockedRecv(_) => {
                assert!(k.links[i].queued, "blocked thread not queued")
            }
            State::Running => {
                assert!(
                    k.current == i as u16,
                    "running thread is not the current one"
                )
            }
            State::BlockedReply | State::Inactive => {
                assert!(!k.links[i].queued, "waiting thread in a queue")
            }
        }
        if th.reply_to != NONE {
            let c = &k.threads[th.reply_to as usize];
            assert!(
                c.alive && c.state == State::BlockedReply,
                "reply owed to a thread that does not wait for it"
            );
        }
    }
    let blocked = k
        .threads
        .iter()
        .filter(|t| t.alive && matches!(t.state, State::BlockedSend(_) | State::BlockedRecv(_)))
        .count();
    assert!(
        blocked == queued,
        "endpoint queues and blocked threads disagree"
    );
    for p in k.pools.iter().filter(|p| p.alive) {
        assert!(
            p.base <= p.next && p.next <= p.end,
            "pool bump pointer out of range"
        );
        assert!(
            p.available * bilby_abi::PAGE_SIZE <= p.end - p.base,
            "pool over-counts frames"
        );
    }
}
