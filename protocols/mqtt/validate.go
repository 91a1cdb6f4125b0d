package mqtt

var (
	errNoConnectFields = detailed(ErrMalformed, "CONNECT without ConnectFields")
	errWillWithoutFlag = detailed(ErrWillFlags, "will topic or message without the will flag")
	errUsernameNoFlag  = detailed(ErrMalformed, "user name without the user name flag")
	errPasswordNoFlag  = detailed(ErrMalformed, "password without the password flag")
	errFieldTooLong    = detailed(ErrLength, "string or binary field longer than 65535 bytes")
	errTooLong         = detailed(ErrLength, "remaining length over 268435455")
)

// Validate reports whether p is a valid MQTT 3.1.1 packet by the rules
// Parse applies to the bytes, checking the fields p.Type uses (and that
// the will and credential values of a CONNECT come with their flags). For
// a valid p, Parse(Append(nil, p)) gives p back. The error matches one of
// the Err… reasons of this package; Validate does not allocate.
func Validate(p *Packet) error {
	if !p.Type.Valid() {
		return ErrPacketType
	}
	if p.Properties != nil {
		return ErrProperties
	}
	if remainingLength(p) > MaxRemainingLength {
		return errTooLong
	}
	if p.Type.hasPacketID() || p.Type == Publish && p.QoS > 0 {
		if p.PacketID == 0 {
			return ErrPacketID
		}
	}
	switch p.Type {
	case Connect:
		return validateConnect(p.Connect)
	case Connack:
		if p.ReturnCode > RefusedNotAuthorized {
			return ErrReturnCode
		}
		if p.SessionPresent && p.ReturnCode != Accepted {
			return errSessionPresent
		}
	case Publish:
		if p.QoS > QoS2 {
			return ErrQoS
		}
		if p.Dup && p.QoS == QoS0 {
			return errDupQoS0
		}
		return ValidTopicName(p.Topic)
	case Subscribe:
		if len(p.Subscriptions) == 0 {
			return ErrNoFilters
		}
		for _, s := range p.Subscriptions {
			if err := ValidTopicFilter(s.Filter); err != nil {
				return err
			}
			if s.QoS > QoS2 {
				return ErrQoS
			}
		}
	case Suback:
		if len(p.ReturnCodes) == 0 {
			return ErrNoFilters
		}
		for _, c := range p.ReturnCodes {
			if c > 2 && c != SubackFailure {
				return errSubackCode
			}
		}
	case Unsubscribe:
		if len(p.Filters) == 0 {
			return ErrNoFilters
		}
		for _, f := range p.Filters {
			if err := ValidTopicFilter(f); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateConnect(c *ConnectFields) error {
	switch {
	case c == nil:
		return errNoConnectFields
	case c.WillProperties != nil:
		return ErrProperties
	case c.ProtocolLevel != Version311:
		return ErrUnsupportedProtocolLevel
	case c.WillQoS > QoS2:
		return ErrQoS
	case !c.WillFlag && (c.WillQoS != 0 || c.WillRetain):
		return ErrWillFlags
	case !c.WillFlag && (c.WillTopic != "" || len(c.WillMessage) > 0):
		return errWillWithoutFlag
	case c.PasswordFlag && !c.UsernameFlag:
		return ErrPasswordWithoutUsername
	case !c.UsernameFlag && c.Username != "":
		return errUsernameNoFlag
	case !c.PasswordFlag && len(c.Password) > 0:
		return errPasswordNoFlag
	case len(c.ClientID) > MaxStringBytes || len(c.WillMessage) > MaxStringBytes ||
		len(c.Username) > MaxStringBytes || len(c.Password) > MaxStringBytes:
		return errFieldTooLong
	}
	if err := validString(c.ClientID); err != nil {
		return err
	}
	if c.WillFlag {
		if err := ValidTopicName(c.WillTopic); err != nil {
			return err
		}
	}
	return validString(c.Username)
}
