package io.httpprofiler.capture;

/**
 * What a full ring buffer took from a connection before this record, as the kernel says on the connection's next
 * record that got through ({@code enum loss_flags}). Lost payload shows as a jump in position anyway; this says what
 * positions cannot: that the connection's open was lost ({@code reannounced} then holds what it said, read again from
 * the socket), that the other direction lost records before this one, or that the previous connection on the same fd
 * lost its close.
 *
 * @param flags       {@code enum loss_flags} bits
 * @param reannounced the lost open's content, when {@link EventLayout#LOSS_OPEN} is set; else null
 */
public record LossNotice(int flags, ConnectionOpened reannounced) {
    public static final LossNotice NONE = new LossNotice(0, null);

    public boolean openLost() {
        return (flags & EventLayout.LOSS_OPEN) != 0;
    }

    /** Records of this direction were lost since the connection's last record that got through. */
    public boolean recordsLost(Direction direction) {
        return (flags & (direction == Direction.EGRESS ? EventLayout.LOSS_EGRESS : EventLayout.LOSS_INGRESS)) != 0;
    }

    /** The close of the previous connection on this fd was lost: that connection ended, its final positions unknown. */
    public boolean previousCloseLost() {
        return (flags & EventLayout.LOSS_CLOSE_BEFORE) != 0;
    }
}
