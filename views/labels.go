package views

// Chinese labels of the schema's enumerations.
var (
	regionKinds = map[string]string{
		"province": "省/自治区", "city": "地级市", "district": "市辖区", "banner": "旗",
		"county": "县", "economic_zone": "经济区",
	}
	eventKinds = map[string]string{
		"ceremony": "签约仪式", "online_signing": "网上签约", "conference": "招商推介会",
		"groundbreaking": "集中开工", "cooperation": "合作签约",
	}
)

// RegionKind labels a region kind: city reads 地级市.
func RegionKind(kind string) string { return labelOr(regionKinds, kind) }

// EventKind labels a signing-event kind: online_signing reads 网上签约.
func EventKind(kind string) string { return labelOr(eventKinds, kind) }

func labelOr(labels map[string]string, key string) string {
	if l, ok := labels[key]; ok {
		return l
	}
	return key
}
