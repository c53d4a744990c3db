# ==== ABI headers (tests/abi/) ==============================================
# `make abi-check` proves the installed headers (onecount/connector.h and
# onecount/loader.h) serve every language a runtime or plugin may be
# written in: a C++ program and a C99 program (-pedantic -Werror) include
# both, define a plugin entry, and run; and a plugin whose entry differs
# from oc_connector_entry_t must fail to compile. Needs $(CXX) (g++).
ABI_BUILD  = $(BUILD)/abi
ABI_WARN  := -Wall -Wextra -Werror -Ihost-api/include

.PHONY: abi-check
abi-check: $(LOADER_A)
	@mkdir -p $(ABI_BUILD)
	$(CXX) -std=c++11 -pedantic $(ABI_WARN) $(SANFLAGS) -o $(ABI_BUILD)/abi_cxx tests/abi/abi_cxx.cpp \
	  $(LOADER_A) -ldl
	$(CC) -std=c99 -pedantic $(ABI_WARN) $(SANFLAGS) -o $(ABI_BUILD)/abi_c99 tests/abi/abi_c99.c \
	  $(LOADER_A) -ldl
	$(ABI_BUILD)/abi_cxx
	$(ABI_BUILD)/abi_c99
	@if $(CC) -std=c99 -pedantic $(ABI_WARN) -c tests/abi/wrong_entry.c \
	     -o $(ABI_BUILD)/wrong_entry.o 2>$(ABI_BUILD)/wrong_entry.log; then \
	  echo "abi-check: tests/abi/wrong_entry.c compiled, but its entry does not match"; \
	  echo "  oc_connector_entry_t: connector.h no longer declares the entry"; exit 1; \
	fi
	@grep -q "conflicting types for .oc_connector_entry" $(ABI_BUILD)/wrong_entry.log || { \
	  echo "abi-check: tests/abi/wrong_entry.c failed for another reason:"; \
	  cat $(ABI_BUILD)/wrong_entry.log; exit 1; }
	@echo "abi-check: ok (C++, C99 -pedantic, entry type enforced)"
# ==== end ABI headers =======================================================
