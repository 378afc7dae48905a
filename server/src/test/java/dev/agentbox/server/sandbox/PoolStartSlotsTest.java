package dev.agentbox.server.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentbox.server.controller.ObjectKey;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolStartSlotsTest {
    private static ObjectKey key(String name) {
        return new ObjectKey("ns", name);
    }

    @Test
    void membersPastTheSlotsWaitAndAreWokenInOrderAsSlotsFree() {
        List<ObjectKey> woken = new ArrayList<>();
        PoolStartSlots slots = new PoolStartSlots(2, woken::add);
        assertThat(slots.tryAcquire(key("a"))).isTrue();
        assertThat(slots.tryAcquire(key("b"))).isTrue();
        assertThat(slots.tryAcquire(key("c"))).isFalse();
        assertThat(slots.tryAcquire(key("d"))).isFalse();
        assertThat(slots.tryAcquire(key("c"))).as("asking again does not queue twice").isFalse();
        assertThat(slots.waiting()).isEqualTo(2);
        slots.release();
        assertThat(woken).containsExactly(key("c"));
        assertThat(slots.tryAcquire(key("c"))).isTrue();
        assertThat(slots.free()).isZero();
    }

    @Test
    void aDeletedWaiterIsNotWokenAndTwoFreeSlotsWakeTwo() {
        List<ObjectKey> woken = new ArrayList<>();
        PoolStartSlots slots = new PoolStartSlots(1, woken::add);
        assertThat(slots.tryAcquire(key("a"))).isTrue();
        for (String n : List.of("b", "c", "d")) assertThat(slots.tryAcquire(key(n))).isFalse();
        slots.forget(key("b"));
        slots.release();
        assertThat(woken).containsExactly(key("c"));
        assertThat(slots.free()).isEqualTo(1);
        slots.release(); // c did not take its slot (claimed meanwhile, say): two free now, d is woken too
        assertThat(woken).containsExactly(key("c"), key("d"));
        assertThatThrownBy(() -> new PoolStartSlots(0, k -> {})).hasMessageContaining("at least 1");
    }
}
