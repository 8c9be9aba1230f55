// SPDX-License-Identifier: GPL-2.0
/*
 * The Bilby console: printk output and a write-only tty (ttyB0), both
 * through Bilby's DebugWrite hypercall. Input arrives in a later stage.
 */
#include <linux/console.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include <asm/setup.h>
#include <shared/bilby_glue.h>

static struct tty_driver *l4_tty_driver;
static struct tty_port l4_tty_port;

static void l4_console_write(struct console *con, const char *s, unsigned int n)
{
	bilby_console_write(s, n);
}

static struct tty_driver *l4_console_device(struct console *con, int *index)
{
	*index = con->index;
	return l4_tty_driver;
}

static struct console l4_console = {
	.name	= "ttyB",
	.write	= l4_console_write,
	.device	= l4_console_device,
	.flags	= CON_PRINTBUFFER | CON_ANYTIME,
	.index	= -1,
};

/* Called before start_kernel: the banner and everything after it shows. */
void __init l4_register_console(void)
{
	register_console(&l4_console);
}

static int l4_tty_open(struct tty_struct *tty, struct file *filp)
{
	return tty_port_open(&l4_tty_port, tty, filp);
}

static void l4_tty_close(struct tty_struct *tty, struct file *filp)
{
	tty_port_close(&l4_tty_port, tty, filp);
}

static ssize_t l4_tty_write(struct tty_struct *tty, const u8 *buf, size_t count)
{
	bilby_console_write((const char *)buf, count);
	return count;
}

static unsigned int l4_tty_write_room(struct tty_struct *tty)
{
	return 4096;
}

static const struct tty_operations l4_tty_ops = {
	.open		= l4_tty_open,
	.close		= l4_tty_close,
	.write		= l4_tty_write,
	.write_room	= l4_tty_write_room,
};

static const struct tty_port_operations l4_tty_port_ops;

static int __init l4_tty_init(void)
{
	struct tty_driver *driver;
	int err;

	driver = tty_alloc_driver(1, TTY_DRIVER_REAL_RAW);
	if (IS_ERR(driver))
		return PTR_ERR(driver);
	tty_port_init(&l4_tty_port);
	l4_tty_port.ops = &l4_tty_port_ops;
	driver->driver_name = "bilby";
	driver->name = "ttyB";
	driver->major = TTY_MAJOR;
	driver->minor_start = 200;
	driver->type = TTY_DRIVER_TYPE_SYSTEM;
	driver->init_termios = tty_std_termios;
	tty_set_operations(driver, &l4_tty_ops);
	tty_port_link_device(&l4_tty_port, driver, 0);
	err = tty_register_driver(driver);
	if (err) {
		tty_driver_kref_put(driver);
		tty_port_destroy(&l4_tty_port);
		return err;
	}
	l4_tty_driver = driver;
	return 0;
}
device_initcall(l4_tty_init);
