#ifndef IPWATCHER_CSYSTEMD_SHIM_H
#define IPWATCHER_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#endif
